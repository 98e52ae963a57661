// Text and JSON renderings of a member table.
#include "member_table_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace rpcnet::cli {

namespace {

std::string tags_text(const std::map<std::string, std::string>& tags) {
  std::string out;
  for (const auto& [key, value] : tags)
    out += (out.empty() ? "" : ",") + key + "=" + value;
  return out.empty() ? "-" : out;
}

std::string phi_text(double phi) {
  if (!std::isfinite(phi))
    return phi > 0 ? "1e308" : "0";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", phi);
  return buf;
}

std::string pad(std::string text, size_t width) {
  if (text.size() < width)
    text.append(width - text.size(), ' ');
  return text;
}

} // namespace

std::string format_members_text(const rpcnet_cli::MemberTable& table) {
  size_t addr_width = 7;
  for (const auto& m : table.members)
    addr_width = std::max(addr_width, m.address.size());
  std::string out = pad("ID", 33) + pad("ADDRESS", addr_width + 1) + pad("STATE", 8)
                    + pad("INC", 6) + pad("PHI", 8) + "TAGS\n";
  for (const auto& m : table.members)
    out += pad(m.id, 33) + pad(m.address, addr_width + 1) + pad(m.state, 8)
           + pad(std::to_string(m.incarnation), 6) + pad(phi_text(m.phi), 8) + tags_text(m.tags)
           + "\n";
  return out;
}

std::string format_members_json(const rpcnet_cli::MemberTable& table) {
  std::string out = "{\"node\":" + json_string(table.node_id) + ",\"members\":[";
  bool first = true;
  for (const auto& m : table.members) {
    out += first ? "{" : ",{";
    first = false;
    out += "\"id\":" + json_string(m.id) + ",\"address\":" + json_string(m.address)
           + ",\"state\":" + json_string(m.state)
           + ",\"incarnation\":" + std::to_string(m.incarnation) + ",\"phi\":" + phi_text(m.phi)
           + ",\"tags\":{";
    bool first_tag = true;
    for (const auto& [key, value] : m.tags) {
      out += (first_tag ? "" : ",") + json_string(key) + ":" + json_string(value);
      first_tag = false;
    }
    out += "}}";
  }
  return out + "]}";
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

} // namespace rpcnet::cli
