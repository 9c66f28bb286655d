// Placeholder until core/agent has sources; removed with the first one.
