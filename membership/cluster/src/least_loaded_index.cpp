// The min-tree behind least connections over many candidates.
#include "least_loaded_index.hpp"

#include <algorithm>
#include <bit>
#include <limits>

namespace rpcnet {

void least_loaded_index::assign(std::span<const uint32_t> candidates,
                                std::span<const uint32_t> in_flight) {
  count_ = candidates.size();
  leaves_ = std::bit_ceil(std::max<size_t>(count_, 1));
  tree_.assign(2 * leaves_, std::numeric_limits<uint32_t>::max());
  for (size_t p = 0; p < count_; ++p)
    tree_[leaves_ + p] = in_flight[candidates[p]];
  for (auto i = leaves_ - 1; i >= 1; --i)
    tree_[i] = std::min(tree_[2 * i], tree_[2 * i + 1]);
  if (next_ >= count_)
    next_ = 0;
}

void least_loaded_index::update(size_t position, uint32_t count) noexcept {
  auto i = leaves_ + position;
  tree_[i] = count;
  for (i /= 2; i >= 1; i /= 2) {
    auto smaller = std::min(tree_[2 * i], tree_[2 * i + 1]);
    if (tree_[i] == smaller)
      break; // nothing above changes either
    tree_[i] = smaller;
  }
}

size_t least_loaded_index::first_at_most(size_t from, uint32_t bound) const noexcept {
  if (from >= count_)
    return count_;
  auto i = leaves_ + from;
  if (tree_[i] <= bound)
    return from;
  // The positions after `from` are the right siblings of the left children
  // on the way up, in order; take the first whose minimum is low enough...
  for (;;) {
    if (i == 1)
      return count_;
    if ((i & 1) == 0 && tree_[i + 1] <= bound) {
      ++i;
      break;
    }
    i /= 2;
  }
  // ...and go down to its leftmost leaf that is.
  while (i < leaves_) {
    i *= 2;
    if (tree_[i] > bound)
      ++i;
  }
  return i - leaves_;
}

size_t least_loaded_index::select() noexcept {
  auto least = tree_[1];
  auto position = first_at_most(next_, least);
  if (position == count_)
    position = first_at_most(0, least);
  next_ = position + 1;
  return position;
}

} // namespace rpcnet
