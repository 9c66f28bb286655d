// Placeholder until core/allocator has sources; removed with the first one.
