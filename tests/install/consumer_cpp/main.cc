// Prints the library version and checks the error path of a missing
// recording through the C++ API of an installed vigil.
#include <iostream>
#include <string>

#include <vigil/vigil.hpp>

int main(int argc, char** argv) {
  const std::string missing = argc > 1 ? argv[1] : "/nonexistent/consumer.vgl";
  std::cout << "vigil " << vigil::LibraryVersion() << " (schema " << vigil::kSchemaVersion
            << ")\n";
  auto cap = vigil::Capture::OpenRecording(missing);
  if (cap.ok() || cap.status().code() != vigil::StatusCode::kNotFound ||
      cap.status().message().find(missing) == std::string::npos) {
    std::cerr << "unexpected: " << cap.status().ToString() << "\n";
    return 1;
  }
  std::cout << "expected error: " << cap.status().ToString() << "\n";
  return 0;
}
