// The problem list behind every configuration's validate().
#include <rpcnet/transport/configuration.hpp>

#include <caf/make_message.hpp>

#include <rpcnet/transport/error.hpp>

namespace rpcnet {

config_errors::config_errors(std::string_view config) : config_(config) {
}

void config_errors::require(bool ok, std::string_view problem) {
  if (!ok)
    problems_.emplace_back(problem);
}

void config_errors::nest(std::string_view field, const caf::error& nested) {
  if (!nested)
    return;
  auto prefix = field.empty() ? std::string{} : std::string{field} + ".";
  auto nested_problems = problems_of(nested);
  // A nested check that failed some other way still counts, as one problem.
  if (nested_problems.empty())
    nested_problems.push_back(describe(nested));
  for (auto& problem : nested_problems)
    problems_.push_back(prefix + problem);
}

caf::error config_errors::result() const {
  if (problems_.empty())
    return {};
  auto text = "invalid " + config_ + ": ";
  for (size_t i = 0; i < problems_.size(); ++i)
    text += (i == 0 ? "" : "; ") + problems_[i];
  // The message first, so that message_of() and describe() read it as
  // they read any error's.
  return caf::error{static_cast<uint8_t>(error::config), error_category,
                    caf::make_message(std::move(text), problems_)};
}

std::vector<std::string> config_errors::problems_of(const caf::error& err) {
  if (!is_rpcnet_error(err) || code_of(err) != error::config)
    return {};
  const auto& ctx = err.context();
  if (ctx.size() != 2 || !ctx.match_element<std::vector<std::string>>(1))
    return {};
  return ctx.get_as<std::vector<std::string>>(1);
}

} // namespace rpcnet
