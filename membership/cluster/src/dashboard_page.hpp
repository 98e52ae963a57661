// The live cluster dashboard an admin address serves at /: one HTML page
// with its script and style inline (it must work with no internet), which
// polls /api/cluster once a second. What the JSON holds is written down
// in docs/operations.md.
#pragma once

#include <string_view>

namespace rpcnet {

/// The whole page.
extern const std::string_view dashboard_page;

} // namespace rpcnet
