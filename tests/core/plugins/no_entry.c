/* A shared library that is not a Drover plugin: it exports no entry point. */
int some_library_function(int x) { return x + 1; }
