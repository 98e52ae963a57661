// The consumer's service definition: one unary and one server-streaming
// method, turned into notes/{types,client,server,notes}.hpp at build time by
// rpcnet_generate() from an installed rpcnet.
#pragma once

#include <cstdint>
#include <string>

// snippet-begin: definition
#include <rpcnet/typed/service_definition.hpp>

namespace notes {

struct Note {
  std::string text;
};

struct NoteId {
  std::uint64_t id;
};

struct NotesError : rpcnet::variants {
  struct EmptyText {};
};

/// The notes from id `first` on.
struct ListRequest {
  std::uint64_t first;
};

struct Entry {
  std::uint64_t id;
  std::string text;
};

struct Notes : rpcnet::service {
  rpcnet::result<NoteId, NotesError> add(Note note);
  rpcnet::stream<Entry> list(ListRequest request);
};

} // namespace notes
// snippet-end: definition
