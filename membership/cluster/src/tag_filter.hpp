// A filter on member tags, written "k=v[,k=v...]": a member matches when it
// has every listed tag with exactly the listed value. The worker registry
// selects workers by it ("role=worker,zone=eu-1"), and the node registry
// lists nodes by it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/expected.hpp>

#include <rpcnet/membership/member.hpp>

namespace rpcnet {

/// A parsed tag filter. The grammar, and what is an error:
/// - the empty string (or only blanks) is the filter that matches everything;
/// - otherwise pairs separated by ',', each `key=value`;
/// - blanks (spaces, tabs) around keys and values are ignored, blanks inside
///   are part of them ("zone = us east" is key "zone", value "us east");
/// - errors: an empty pair (",," or a leading or trailing ','), a pair
///   without '=', more than one '=' in a pair, an empty key, an empty value,
///   the same key twice. Each is a config error whose message quotes the
///   filter and names the pair and the problem.
class tag_filter {
public:
  // -- member types -----------------------------------------------------------

  /// One required tag.
  using requirement = std::pair<std::string, std::string>;

  // -- constructors -----------------------------------------------------------

  /// The filter that matches every member.
  tag_filter() = default;

  /// Parses `text`; a config error for malformed text (see the class doc).
  static caf::expected<tag_filter> parse(std::string_view text);

  // -- matching ---------------------------------------------------------------

  /// True if `tags` holds every required tag with its value.
  bool matches(const tag_map& tags) const;

  // -- properties -------------------------------------------------------------

  /// True for the filter that matches everything.
  bool empty() const noexcept {
    return requirements_.empty();
  }

  /// The canonical text: pairs sorted by key, no blanks ("" when empty).
  /// Parsing it gives an equal filter.
  std::string to_string() const;

  friend bool operator==(const tag_filter&, const tag_filter&) = default;

private:
  std::vector<requirement> requirements_;
};

} // namespace rpcnet
