// Expected failures are absl::Status / absl::StatusOr<T>; these macros propagate them.
// (absl's own status_macros.h is newer than Debian 12's libabsl-dev.)
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ATOLL_STATUS_CONCAT_INNER_(a, b) a##b
#define ATOLL_STATUS_CONCAT_(a, b) ATOLL_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::absl::Status atoll_status_ = (expr);         \
    if (!atoll_status_.ok()) return atoll_status_; \
  } while (false)

// `ASSIGN_OR_RETURN(auto x, StatusOrExpr())`: binds the value or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ATOLL_ASSIGN_OR_RETURN_IMPL_(ATOLL_STATUS_CONCAT_(atoll_statusor_, __LINE__), lhs, expr)

#define ATOLL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr)  \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()
