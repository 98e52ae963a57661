#include <rpcnet/codegen/generator.hpp>

#include <fstream>
#include <iterator>
#include <map>
#include <system_error>

#include <rpcnet/codegen/client_emitter.hpp>
#include <rpcnet/codegen/cpp_spelling.hpp>
#include <rpcnet/codegen/parser.hpp>
#include <rpcnet/codegen/server_emitter.hpp>
#include <rpcnet/codegen/tokenizer.hpp>
#include <rpcnet/codegen/types_emitter.hpp>

namespace rpcnet::codegen {

namespace fs = std::filesystem;

namespace {

diagnostic file_error(const fs::path& path, const std::string& what) {
  return {path.string(), {0, 0}, "Input file '" + path.string() + "' " + what};
}

/// The text of `path`, or why it cannot be read.
std::optional<diagnostic> read_input(const fs::path& path, std::string& text) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    return file_error(path, "does not exist.");
  if (!fs::is_regular_file(path, ec))
    return file_error(path, "is not a regular file.");
  auto size = fs::file_size(path, ec);
  if (ec || size > max_definition_bytes)
    return file_error(path, "is larger than 1 MiB.");
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return file_error(path, "cannot be read.");
  text.assign(std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{});
  return std::nullopt;
}

/// The files of one service, in the order the CLI reports them.
generated_service emit_service(const definition& def, const service_def& svc,
                               const fs::path& output, const output_selection& parts) {
  auto dir_name = lowercase(svc.name);
  generated_service out;
  out.name = svc.name;
  out.directory = output / dir_name;
  auto add = [&](std::string role, std::string file, std::string content) {
    out.files.push_back({std::move(role), out.directory / file, std::move(content), false});
  };
  if (parts.server)
    add("server", "server.hpp", emit_server(def, svc));
  if (parts.client)
    add("client", "client.hpp", emit_client(def, svc));
  if (parts.types)
    add("types", "types.hpp", emit_types(def));
  add("umbrella", dir_name + ".hpp", emit_umbrella(def, svc, parts));
  out.include_line = "#include \"" + (out.directory / (dir_name + ".hpp")).generic_string() + "\"";
  return out;
}

bool holds(const fs::path& path, const std::string& content) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return false;
  std::string current{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  return current == content;
}

std::optional<diagnostic> write_file(generated_file& file) {
  if (holds(file.path, file.content))
    return std::nullopt;
  std::error_code ec;
  fs::create_directories(file.path.parent_path(), ec);
  std::ofstream out{file.path, std::ios::binary | std::ios::trunc};
  out << file.content;
  out.close();
  if (ec || !out)
    return diagnostic{file.path.string(), {0, 0},
                      "cannot write '" + file.path.string() + "'"};
  file.written = true;
  return std::nullopt;
}

} // namespace

// -- builders -----------------------------------------------------------------

generator& generator::input(fs::path path) {
  inputs_.push_back(std::move(path));
  return *this;
}

generator& generator::output(fs::path dir) {
  output_ = std::move(dir);
  return *this;
}

generator& generator::server_only(bool on) {
  server_only_ = on;
  return *this;
}

generator& generator::client_only(bool on) {
  client_only_ = on;
  return *this;
}

generator& generator::types_only(bool on) {
  types_only_ = on;
  return *this;
}

// -- running ------------------------------------------------------------------

generation_result generator::plan() const {
  generation_result result;
  if (inputs_.empty()) {
    result.error = diagnostic{"", {0, 0}, "no input file given."};
    return result;
  }
  auto parts = output_selection::from_flags(server_only_, client_only_, types_only_);
  // Which input claimed each directory: two services must not share one.
  std::map<std::string, std::string> owners;
  for (const auto& path : inputs_) {
    std::string text;
    if (auto err = read_input(path, text)) {
      result.error = std::move(err);
      return result;
    }
    auto parsed = parse_definition(text, path.string());
    if (!parsed.value) {
      result.error = std::move(parsed.error);
      return result;
    }
    for (const auto& svc : parsed.value->services) {
      auto [owner, fresh] = owners.emplace(lowercase(svc.name), path.string() + ": " + svc.name);
      if (!fresh) {
        result.error = diagnostic{path.string(), {0, 0},
                                  "service '" + svc.name + "' would overwrite the directory of "
                                    + owner->second};
        return result;
      }
      result.services.push_back(emit_service(*parsed.value, svc, output_, parts));
    }
  }
  return result;
}

generation_result generator::build() const {
  auto result = plan();
  if (!result.ok())
    return result;
  for (auto& svc : result.services)
    for (auto& file : svc.files)
      if (auto err = write_file(file)) {
        result.error = std::move(err);
        return result;
      }
  return result;
}

} // namespace rpcnet::codegen
