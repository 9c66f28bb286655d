// Test helpers for Marathon JSON: inspecting our output with RapidJSON's JSON pointers
// ("/healthChecks/0/portIndex"), and the shared reference folder (schemas and examples).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "rapidjson/document.h"
#include "rapidjson/pointer.h"

namespace atl::marathonlike::testing {

// Parses `json` with plain RapidJSON (numbers as numbers), failing the test if it is invalid.
inline rapidjson::Document ParseForTest(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  EXPECT_FALSE(doc.HasParseError()) << json;
  return doc;
}

// The value at a JSON pointer, or nullptr.
inline const rapidjson::Value* At(const rapidjson::Value& root, const char* pointer) {
  return rapidjson::Pointer(pointer).Get(root);
}

inline std::string StringAt(const rapidjson::Value& root, const char* pointer) {
  const rapidjson::Value* v = At(root, pointer);
  if (v == nullptr || !v->IsString()) return "<not a string at " + std::string(pointer) + ">";
  return std::string(v->GetString(), v->GetStringLength());
}

// Where Marathon's reference data lives (schemas, example apps and groups); nullopt when this
// machine does not have it (the golden tests then skip).
inline std::optional<std::filesystem::path> ReferenceDir() {
#ifdef ATOLL_MARATHON_REFERENCE
  std::filesystem::path dir(ATOLL_MARATHON_REFERENCE);
  if (std::filesystem::is_directory(dir)) return dir;
#endif
  return std::nullopt;
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace atl::marathonlike::testing
