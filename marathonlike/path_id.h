// Marathon path ids (reference/marathon.md §2.2): "/prod/web/frontend". Segments are lowercase
// ASCII letters, digits, '-' and '.', as dot-separated labels that neither start nor end with
// '-'. Relative ids resolve against the enclosing group; ".." climbs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "marathonlike/app.h"

namespace atl::marathonlike {

// Whether one segment is valid ("web", "a.b-c", not "-a", "A", "a_b", "").
bool IsValidSegment(std::string_view segment);

// Resolves `id` (absolute, or relative to `base`, with "." and ".." segments) to a canonical
// absolute id without a trailing slash ("/" for the root). nullopt when ".." climbs above the
// root. Does not check segment syntax.
std::optional<PathId> ResolvePath(std::string_view id, const PathId& base = "/");

// The segments of an absolute id ("/a/b" -> {"a", "b"}; "/" -> {}).
std::vector<std::string_view> Segments(std::string_view id);

// "/a/b/c" -> "/a/b"; "/a" -> "/"; "/" -> "/".
PathId Parent(std::string_view id);

// Whether `id` is `ancestor` or below it ("/a/b" is under "/a" and "/", not under "/ab").
bool IsUnder(std::string_view id, std::string_view ancestor);

// Every invalid thing about an app id, as Marathon words it (empty when valid): bad segments,
// a reserved last segment ("restart", "tasks", "versions"), the root.
std::vector<std::string> AppIdErrors(std::string_view absolute_id);

// Marathon's task id prefix for an app: "/prod/web" -> "prod_web".
std::string SafeName(std::string_view id);

}  // namespace atl::marathonlike
