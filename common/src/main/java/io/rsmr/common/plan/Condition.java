package io.rsmr.common.plan;

/**
 * One condition of the design methodology, with the numbers that decide it.
 *
 * @param name    stable identifier, e.g. {@code execWithinTd}
 * @param formula the condition as the paper writes it, e.g. {@code T_exec <= T_d}
 * @param holds   whether it holds for the config
 * @param detail  the numbers, e.g. {@code T_exec = 6 x 1m52s = 11m12s <= T_d = 15m}
 */
public record Condition(String name, String formula, boolean holds, String detail) {
}
