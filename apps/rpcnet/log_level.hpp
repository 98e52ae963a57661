// The CLI's log levels and formats are the library's (library_log.hpp):
// one logger, one set of names, whether a line comes from the CLI or from
// the library beneath it.
#pragma once

#include <rpcnet/transport/library_log.hpp>

namespace rpcnet::cli {

using rpcnet::log_format;
using rpcnet::log_level;
using rpcnet::parse_log_format;
using rpcnet::parse_log_level;

} // namespace rpcnet::cli
