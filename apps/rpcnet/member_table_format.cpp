// Text and JSON renderings of a member table.
#include "member_table_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include <nlohmann/json.hpp>

#include <rpcnet/transport/utf8.hpp>

namespace rpcnet::cli {

namespace {

std::string tags_text(const std::map<std::string, std::string>& tags) {
  std::string out;
  for (const auto& [key, value] : tags)
    out += (out.empty() ? "" : ",") + key + "=" + value;
  return out.empty() ? "-" : out;
}

/// Phi as a finite number: one never heard from (infinite) prints as 1e308.
double finite_phi(double phi) {
  if (!std::isfinite(phi))
    return phi > 0 ? 1e308 : 0;
  return phi;
}

std::string phi_text(double phi) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", finite_phi(phi));
  return buf;
}

} // namespace

std::string format_members_text(const rpcnet_cli::MemberTable& table) {
  std::vector<std::vector<std::string>> rows{{"ID", "ADDRESS", "STATE", "INC", "PHI", "TAGS"}};
  for (const auto& m : table.members)
    rows.push_back({utf8::escaped(m.id), utf8::escaped(m.address), utf8::escaped(m.state),
                    std::to_string(m.incarnation), phi_text(m.phi),
                    utf8::escaped(tags_text(m.tags))});
  // Each column but the last as wide as its widest cell and a space; ids
  // and the short columns keep their usual width at least.
  std::vector<size_t> widths{32, 7, 7, 5, 7};
  for (const auto& row : rows)
    for (size_t i = 0; i < widths.size(); ++i)
      widths[i] = std::max(widths[i], utf8::display_width(row[i]));
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < widths.size(); ++i)
      out += row[i] + std::string(widths[i] + 1 - utf8::display_width(row[i]), ' ');
    out += row.back() + "\n";
  }
  return out;
}

std::string format_members_json(const rpcnet_cli::MemberTable& table) {
  auto members = nlohmann::ordered_json::array();
  for (const auto& m : table.members) {
    nlohmann::ordered_json tags = nlohmann::ordered_json::object();
    for (const auto& [key, value] : m.tags)
      tags[key] = value;
    members.push_back({{"id", m.id},
                       {"address", m.address},
                       {"state", m.state},
                       {"incarnation", m.incarnation},
                       {"phi", finite_phi(std::round(m.phi * 100) / 100)},
                       {"tags", std::move(tags)}});
  }
  nlohmann::ordered_json doc{{"node", table.node_id}, {"members", std::move(members)}};
  return doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

} // namespace rpcnet::cli
