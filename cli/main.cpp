#include <iostream>

#include "drover/version.h"

int main() {
  std::cout << drover::version_string() << "\n";
  return 0;
}
