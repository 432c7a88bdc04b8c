/** Code shared by the agent, the orchestrator and the replica: cluster config, feasibility math, signing. */
package io.rsmr.common;
