#include <cstdio>
int main() { std::puts("atoll"); return 0; }
