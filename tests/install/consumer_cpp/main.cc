// Prints the library version and checks the error path of a missing
// recording through the C++ API of an installed vigil; reads this host's
// users as typed asset records (vigil/asset_records.hpp).
#include <algorithm>
#include <iostream>
#include <string>

#include <vigil/asset_records.hpp>
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

  auto assets = vigil::Assets::OpenHost();
  if (!assets.ok()) {
    std::cerr << "assets: " << assets.status().ToString() << "\n";
    return 1;
  }
  auto users = (*assets)->CollectAs<vigil::UsersRow>();
  auto q = (*assets)->Query("select * from users where uid = 0");
  auto root = q.ok() ? vigil::UsersRow::FromTable(*q) : q.status();
  if (!users.ok() || !root.ok() || root->empty() ||
      std::find(users->begin(), users->end(), root->front()) == users->end()) {
    std::cerr << "unexpected users records: " << users.status().ToString() << " / "
              << root.status().ToString() << "\n";
    return 1;
  }
  std::cout << users->size() << " users; uid 0: " << root->front().username.value_or("?") << "\n";
  return 0;
}
