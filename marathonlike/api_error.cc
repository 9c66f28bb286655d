#include "marathonlike/api_error.h"

#include "core/base/strings.h"

namespace atl::marathonlike {

void AddFieldError(std::vector<FieldError>* details, std::string_view path, std::string error) {
  for (FieldError& e : *details) {
    if (e.path == path) {
      for (const std::string& existing : e.errors) {
        if (existing == error) return;
      }
      e.errors.push_back(std::move(error));
      return;
    }
  }
  details->push_back(FieldError{std::string(path), {std::move(error)}});
}

void MergeFieldErrors(std::vector<FieldError>* details, const std::vector<FieldError>& more,
                      std::string_view prefix) {
  for (const FieldError& e : more) {
    // A root-level error ("/") of a nested object belongs to the object itself.
    std::string path = prefix.empty()  ? e.path
                       : e.path == "/" ? std::string(prefix)
                                       : StrCat(prefix, e.path);
    for (const std::string& error : e.errors) AddFieldError(details, path, error);
  }
}

ApiError ApiError::MalformedJson(std::string parser_text) {
  return ApiError{400, "Invalid JSON", std::move(parser_text)};
}

ApiError ApiError::InvalidJson(std::vector<FieldError> details) {
  return ApiError{400, "Invalid JSON", std::move(details)};
}

ApiError ApiError::InvalidObject(std::vector<FieldError> details) {
  return ApiError{422, "Object is not valid", std::move(details)};
}

bool ApiError::Has(std::string_view path, std::string_view error) const {
  if (!std::holds_alternative<std::vector<FieldError>>(details)) return false;
  for (const FieldError& e : field_errors()) {
    if (e.path != path) continue;
    for (const std::string& s : e.errors) {
      if (s == error) return true;
    }
  }
  return false;
}

void WriteApiError(api::JsonWriter& w, const ApiError& error) {
  w.StartObject().Key("message").String(error.message);
  w.Key("details");
  if (const auto* text = std::get_if<std::string>(&error.details)) {
    w.String(*text);
  } else {
    w.StartArray();
    for (const FieldError& e : error.field_errors()) {
      w.StartObject().Key("path").String(e.path).Key("errors").StartArray();
      for (const std::string& s : e.errors) w.String(s);
      w.EndArray().EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

std::string ApiErrorJson(const ApiError& error) {
  api::JsonWriter w;
  WriteApiError(w, error);
  return w.Finish();
}

}  // namespace atl::marathonlike
