// Parsing and matching of "k=v[,k=v...]" tag filters.
#include "tag_filter.hpp"

#include <algorithm>

#include <rpcnet/transport/error.hpp>

namespace rpcnet {

namespace {

constexpr std::string_view blanks = " \t";

std::string_view trim(std::string_view text) {
  auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos)
    return {};
  auto last = text.find_last_not_of(blanks);
  return text.substr(first, last - first + 1);
}

caf::error malformed(std::string_view filter, size_t pair_number, std::string_view problem) {
  std::string msg = "malformed tag filter \"";
  msg += filter;
  msg += "\": pair ";
  msg += std::to_string(pair_number);
  msg += ' ';
  msg += problem;
  msg += " (expected \"key=value[,key=value...]\")";
  return make_error(error::config, std::move(msg));
}

} // namespace

caf::expected<tag_filter> tag_filter::parse(std::string_view text) {
  tag_filter result;
  if (trim(text).empty())
    return result;
  size_t pair_number = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    ++pair_number;
    auto comma = std::min(text.find(',', pos), text.size());
    auto pair = text.substr(pos, comma - pos);
    pos = comma + 1;
    if (trim(pair).empty())
      return malformed(text, pair_number, "is empty");
    auto eq = pair.find('=');
    if (eq == std::string_view::npos)
      return malformed(text, pair_number, "has no '='");
    if (pair.find('=', eq + 1) != std::string_view::npos)
      return malformed(text, pair_number, "has more than one '='");
    auto key = trim(pair.substr(0, eq));
    auto value = trim(pair.substr(eq + 1));
    if (key.empty())
      return malformed(text, pair_number, "has an empty key");
    if (value.empty())
      return malformed(text, pair_number, "has an empty value");
    auto& reqs = result.requirements_;
    auto at = std::lower_bound(reqs.begin(), reqs.end(), key,
                               [](const requirement& r, std::string_view k) { return r.first < k; });
    if (at != reqs.end() && at->first == key)
      return malformed(text, pair_number, "repeats the key \"" + std::string{key} + '"');
    reqs.emplace(at, std::string{key}, std::string{value});
  }
  return result;
}

bool tag_filter::matches(const tag_map& tags) const {
  return std::all_of(requirements_.begin(), requirements_.end(), [&](const requirement& r) {
    auto i = tags.find(r.first);
    return i != tags.end() && i->second == r.second;
  });
}

std::string tag_filter::to_string() const {
  std::string result;
  for (const auto& [key, value] : requirements_) {
    if (!result.empty())
      result += ',';
    result += key;
    result += '=';
    result += value;
  }
  return result;
}

} // namespace rpcnet
