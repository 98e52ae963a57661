// A user's program built against an installed rpcnet: the Notes service
// that rpcnet_generate() made from notes.rpc.hpp, served and called in one
// process over QUIC + TLS 1.3 with rpcnet's development certificates.
// Usage: notes-demo CERT_DIR. Exits 0 only when every reply is the expected
// one; otherwise says on stderr what differed.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <rpcnet/rpcnet.hpp>
#include <rpcnet/transport/version.hpp>

#include "notes/notes.hpp"

namespace {

class notes_service : public notes::NotesHandler {
public:
  rpcnet::result<notes::NoteId, notes::NotesError> add(rpcnet::call_context&,
                                                       notes::Note note) override {
    if (note.text.empty())
      return notes::NotesError{notes::NotesError::EmptyText{}};
    std::lock_guard guard{mutex_};
    texts_.push_back(std::move(note.text));
    return notes::NoteId{texts_.size()};
  }

  caf::error list(rpcnet::call_context&, notes::ListRequest request,
                  rpcnet::typed::writer<notes::Entry>& out) override {
    std::vector<std::string> texts;
    {
      std::lock_guard guard{mutex_};
      texts = texts_;
    }
    for (std::uint64_t id = request.first; id >= 1 && id <= texts.size(); ++id)
      if (auto err = out.write(notes::Entry{id, texts[id - 1]}))
        return err;
    return {};
  }

private:
  std::mutex mutex_;
  std::vector<std::string> texts_;
};

int fail(const std::string& what) {
  std::cerr << "notes-demo: FAILED: " << what << '\n';
  return EXIT_FAILURE;
}

int fail(const std::string& what, const caf::error& err) {
  return fail(what + ": " + rpcnet::describe(err));
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2)
    return fail("usage: notes-demo CERT_DIR");
  const std::string certs = argv[1];
  // The headers compiled in and the library loaded are one version.
  if (rpcnet::version() != rpcnet::version_string)
    return fail("library version " + std::string{rpcnet::version()} + ", headers "
                + std::string{rpcnet::version_string});
  std::cout << "rpcnet " << rpcnet::version() << '\n';

  rpcnet::runtime rt;
  auto server_cfg = rpcnet::rpc_config{certs + "/test_cert.pem", "127.0.0.1:0"}
                      .with_key_path(certs + "/test_key.pem");
  notes::NotesServer server{rt.system(), std::make_shared<notes_service>(), server_cfg};
  auto addr = server.bind();
  if (!addr)
    return fail("bind", addr.error());
  if (auto err = server.start())
    return fail("start", err);

  // snippet-begin: client
  auto client_cfg = rpcnet::rpc_config{certs + "/test_cert.pem", "127.0.0.1:0"}
                      .with_ca_path(certs + "/ca.pem")
                      .with_server_name("localhost");
  auto client = notes::NotesClient::connect(rt.system(), addr->to_string(), client_cfg);
  if (!client)
    return fail("connect", client.error());
  auto id = client->add(notes::Note{"buy milk"});
  if (!id)
    return fail("add", id.error()); // the call failed: timeout, connection, ...
  if (!*id)
    return fail("add: the server refused the note"); // the service's typed error
  std::cout << "added note " << (*id)->id << '\n';

  auto entries = client->list(notes::ListRequest{1});
  if (!entries)
    return fail("list", entries.error());
  std::vector<notes::Entry> listed;
  for (;;) {
    auto entry = entries->next(); // an error, a note, or the stream's end
    if (!entry)
      return fail("list", entry.error());
    if (!*entry)
      break;
    listed.push_back(std::move(**entry));
  }
  // snippet-end: client

  // What a user would check: ids in order, the stream's contents, the
  // typed error.
  if ((*id)->id != 1)
    return fail("the first note's id is " + std::to_string((*id)->id) + ", not 1");
  for (std::string text : {"call mum", "water plants"}) {
    auto next = client->add(notes::Note{text});
    if (!next || !*next)
      return fail("add '" + text + "' failed");
  }
  auto empty = client->add(notes::Note{""});
  if (!empty)
    return fail("add of an empty note", empty.error());
  if (*empty || !empty->error().is<notes::NotesError::EmptyText>())
    return fail("an empty note was not refused with NotesError::EmptyText");
  std::cout << "empty note refused: EmptyText\n";
  if (listed.size() != 1 || listed[0].id != 1 || listed[0].text != "buy milk")
    return fail("list after one add streamed " + std::to_string(listed.size())
                + " entries, not 1: buy milk");

  auto tail = client->list(notes::ListRequest{2});
  if (!tail)
    return fail("list from 2", tail.error());
  const std::vector<std::string> expected{"call mum", "water plants"};
  for (std::size_t i = 0;; ++i) {
    auto entry = tail->next();
    if (!entry)
      return fail("list from 2", entry.error());
    if (!*entry) {
      if (i != expected.size())
        return fail("list from 2 ended after " + std::to_string(i) + " entries, not 2");
      break;
    }
    if (i == expected.size() || (*entry)->id != i + 2 || (*entry)->text != expected[i])
      return fail("list from 2: entry " + std::to_string(i) + " is " + std::to_string((*entry)->id)
                  + " '" + (*entry)->text + "'");
    std::cout << "listed " << (*entry)->id << ": " << (*entry)->text << '\n';
  }
  client->close();
  server.stop();
  std::cout << "notes-demo: ok\n";
  return EXIT_SUCCESS;
}
