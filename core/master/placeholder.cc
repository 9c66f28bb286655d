// Placeholder until core/master has sources; removed with the first one.
