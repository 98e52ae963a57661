// Tests the metrics core: counters, gauges and histograms (bucket edges,
// cumulative "le", NaN ignored), the families of a metrics_registry and the
// names and labels it refuses, collectors and the lifetime of their
// metrics_collection, the Prometheus text expose() writes (exactly, with
// its escaping and number formats), updates racing a scrape, and promtool
// accepting a whole page.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <array>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <rpcnet/transport/metric_instruments.hpp>
#include <rpcnet/transport/metrics_registry.hpp>

#include "prometheus_text.hpp"
#include "temp_dir.hpp"

using rpcnet::is_valid_metric_name;
using rpcnet::latency_buckets_seconds;
using rpcnet::metric_counter;
using rpcnet::metric_gauge;
using rpcnet::metric_histogram;
using rpcnet::metrics_collection;
using rpcnet::metrics_registry;
using rpcnet::metrics_writer;
using rpcnet::prometheus_label_value;
using rpcnet::prometheus_number;

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

/// How often `needle` occurs in `text`.
size_t occurrences(std::string_view text, std::string_view needle) {
  size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string_view::npos;
       pos = text.find(needle, pos + needle.size()))
    ++n;
  return n;
}

/// The value of the sample line that starts with `series` (name and
/// labels exactly as written), if the page has one.
std::optional<double> sample(const std::string& page, std::string_view series) {
  std::istringstream lines{page};
  std::string line;
  while (std::getline(lines, line))
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0
        && line[series.size()] == ' ')
      return std::stod(line.substr(series.size() + 1));
  return std::nullopt;
}

/// Runs `command` in a shell; its exit status, or -1 if it did not exit.
int exit_status(const std::string& command) {
  int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status))
    return -1;
  return WEXITSTATUS(status);
}

std::string read_all(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

} // namespace

// -- instruments --------------------------------------------------------------

TEST_CASE("counters and gauges read back what was added and set") {
  metric_counter counter;
  CHECK(counter.value() == 0);
  counter.inc();
  counter.inc(41);
  CHECK(counter.value() == 42);

  metric_gauge gauge;
  CHECK(gauge.value() == 0.0);
  gauge.set(7.5);
  CHECK(gauge.value() == 7.5);
  gauge.add(-10);
  CHECK(gauge.value() == -2.5);
  gauge.add(0.5);
  CHECK(gauge.value() == -2.0);
}

TEST_CASE("a histogram counts a value equal to a bound in that bound's bucket") {
  const std::array<double, 3> bounds{1.0, 2.0, 4.0};
  metric_histogram h{bounds};
  REQUIRE(h.bounds().size() == 3);
  CHECK(h.bounds()[2] == 4.0);

  h.observe(-1);       // below every bound: the first bucket
  h.observe(1);        // on the first bound: still the first bucket
  h.observe(1.000001); // just past it: the second
  h.observe(2);        // on the second bound
  h.observe(4);        // on the last bound
  h.observe(4.5);      // past every bound
  h.observe(infinity); // past every bound too
  auto r = h.read();
  CHECK(r.counts == std::vector<uint64_t>{2, 2, 1, 2});
  CHECK(r.count == 7);
  CHECK(r.sum == infinity);

  metric_histogram finite{bounds};
  finite.observe(0.5);
  finite.observe(3);
  finite.observe(8);
  auto f = finite.read();
  CHECK(f.counts == std::vector<uint64_t>{1, 0, 1, 1});
  CHECK(f.count == 3);
  CHECK(f.sum == 11.5);
}

TEST_CASE("a histogram ignores NaN observations in its counts and its sum") {
  const std::array<double, 2> bounds{1.0, 2.0};
  metric_histogram h{bounds};
  h.observe(not_a_number);
  auto empty = h.read();
  CHECK(empty.count == 0);
  CHECK(empty.counts == std::vector<uint64_t>{0, 0, 0});
  CHECK(empty.sum == 0.0);

  h.observe(1.5);
  h.observe(-not_a_number);
  h.observe(0.25);
  auto r = h.read();
  CHECK(r.count == 2);
  CHECK(r.counts == std::vector<uint64_t>{1, 1, 0});
  CHECK(r.sum == 1.75);
}

TEST_CASE("the latency buckets rise strictly from 100 microseconds to 10 seconds") {
  CHECK(latency_buckets_seconds.front() == 0.0001);
  CHECK(latency_buckets_seconds.back() == 10.0);
  for (size_t i = 1; i < latency_buckets_seconds.size(); ++i)
    CHECK(latency_buckets_seconds[i - 1] < latency_buckets_seconds[i]);
}

// -- the text format ----------------------------------------------------------

TEST_CASE("a small registry is exposed exactly with one HELP and TYPE per metric sorted by name") {
  auto metrics = std::make_shared<metrics_registry>();
  // Registered out of name order, to prove the page sorts.
  auto& requests = metrics->counters("rpc_requests_total", "Requests handled.", {"method", "code"});
  requests.with({"echo", "ok"}).inc(3);
  requests.with({"echo", "error"}).inc();
  requests.with({"a\\b\"c\nd", "ok"}).inc(1234567);
  const std::array<double, 3> bounds{0.5, 1.0, 2.5};
  auto& latency = metrics->histograms("rpc_latency_seconds", "Call latency.", bounds, {"route"});
  auto& echo = latency.with({"echo"});
  echo.observe(0.5);
  echo.observe(1);
  echo.observe(3);
  echo.observe(not_a_number);
  metrics->gauges("rpc_in_flight", "Calls in flight.").with({}).set(2.5);

  CHECK(metrics->expose()
        == "# HELP rpc_in_flight Calls in flight.\n"
           "# TYPE rpc_in_flight gauge\n"
           "rpc_in_flight 2.5\n"
           "# HELP rpc_latency_seconds Call latency.\n"
           "# TYPE rpc_latency_seconds histogram\n"
           "rpc_latency_seconds_bucket{route=\"echo\",le=\"0.5\"} 1\n"
           "rpc_latency_seconds_bucket{route=\"echo\",le=\"1\"} 2\n"
           "rpc_latency_seconds_bucket{route=\"echo\",le=\"2.5\"} 2\n"
           "rpc_latency_seconds_bucket{route=\"echo\",le=\"+Inf\"} 3\n"
           "rpc_latency_seconds_sum{route=\"echo\"} 4.5\n"
           "rpc_latency_seconds_count{route=\"echo\"} 3\n"
           "# HELP rpc_requests_total Requests handled.\n"
           "# TYPE rpc_requests_total counter\n"
           "rpc_requests_total{method=\"a\\\\b\\\"c\\nd\",code=\"ok\"} 1234567\n"
           "rpc_requests_total{method=\"echo\",code=\"error\"} 1\n"
           "rpc_requests_total{method=\"echo\",code=\"ok\"} 3\n");
}

TEST_CASE("a registry with no instruments exposes an empty page") {
  auto metrics = std::make_shared<metrics_registry>();
  CHECK(metrics->expose().empty());
  // A family without instruments has no samples, and so no lines at all.
  auto& idle = metrics->counters("idle_total", "Never counted.", {"kind"});
  CHECK(metrics->expose().empty());
  idle.with({"first"});
  CHECK(metrics->expose()
        == "# HELP idle_total Never counted.\n"
           "# TYPE idle_total counter\n"
           "idle_total{kind=\"first\"} 0\n");
}

TEST_CASE("HELP text escapes backslash and line feed only") {
  auto metrics = std::make_shared<metrics_registry>();
  metrics->gauges("g", "Line one\nline \"two\" with C:\\path.").with({}).set(1);
  CHECK(metrics->expose()
        == "# HELP g Line one\\nline \"two\" with C:\\\\path.\n"
           "# TYPE g gauge\n"
           "g 1\n");
}

TEST_CASE("label values escape backslash and double quote and newline and replace bad bytes") {
  CHECK(prometheus_label_value("plain-value_1.2") == "plain-value_1.2");
  CHECK(prometheus_label_value("") == "");
  CHECK(prometheus_label_value("a\\b") == "a\\\\b");
  CHECK(prometheus_label_value("say \"hi\"") == "say \\\"hi\\\"");
  CHECK(prometheus_label_value("one\ntwo") == "one\\ntwo");
  // Well-formed UTF-8 is kept as it is.
  CHECK(prometheus_label_value("z\xc3\xbcrich \xe6\x97\xa5 \xf0\x9f\x8e\x89")
        == "z\xc3\xbcrich \xe6\x97\xa5 \xf0\x9f\x8e\x89");
  // Each byte that is not part of well-formed UTF-8 becomes U+FFFD.
  CHECK(prometheus_label_value("bad \xff byte") == "bad \xef\xbf\xbd byte");
  CHECK(prometheus_label_value("cut \xe2\x82") == "cut \xef\xbf\xbd\xef\xbf\xbd");
  CHECK(prometheus_label_value("\xc0\xaf") == "\xef\xbf\xbd\xef\xbf\xbd"); // overlong '/'
  CHECK(prometheus_label_value("\xed\xa0\x80") == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  CHECK(prometheus_label_value("\x80" "x") == "\xef\xbf\xbd" "x");
  // Other ASCII controls are shown as the text \xNN (an escaped backslash).
  CHECK(prometheus_label_value(std::string{"\x00", 1}) == "\\\\x00");
  CHECK(prometheus_label_value("\x01") == "\\\\x01");
  CHECK(prometheus_label_value("tab\there\r") == "tab\\\\x09here\\\\x0d");
  CHECK(prometheus_label_value("\x1b[31mred") == "\\\\x1b[31mred");
  CHECK(prometheus_label_value("\x7f") == "\\\\x7f");
  // Whatever goes in, what comes out is well-formed UTF-8 without a raw
  // quote, line feed or lone backslash that could end the value early.
  std::string all;
  for (int b = 0; b < 256; ++b)
    all.push_back(static_cast<char>(b));
  auto escaped = prometheus_label_value(all);
  CHECK(escaped.find('\n') == std::string::npos);
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] == '\\') {
      REQUIRE(i + 1 < escaped.size());
      CHECK((escaped[i + 1] == '\\' || escaped[i + 1] == '"' || escaped[i + 1] == 'n'));
      ++i;
    } else {
      CHECK(escaped[i] != '"');
    }
  }
}

TEST_CASE("a label value with bad bytes and controls is written escaped on its sample line") {
  auto metrics = std::make_shared<metrics_registry>();
  metrics->counters("odd_total", "Odd labels.", {"v"}).with({"x\xff\x01" "\"q\""}).inc(2);
  CHECK(metrics->expose()
        == "# HELP odd_total Odd labels.\n"
           "# TYPE odd_total counter\n"
           "odd_total{v=\"x\xef\xbf\xbd" "\\\\x01\\\"q\\\"\"} 2\n");
}

TEST_CASE("numbers are written as integers without a fraction and as +Inf and -Inf and NaN") {
  CHECK(prometheus_number(0) == "0");
  CHECK(prometheus_number(-0.0) == "0");
  CHECK(prometheus_number(1) == "1");
  CHECK(prometheus_number(42) == "42");
  CHECK(prometheus_number(-3) == "-3");
  CHECK(prometheus_number(1e6) == "1000000");
  CHECK(prometheus_number(1234567890123.0) == "1234567890123");
  CHECK(prometheus_number(9007199254740991.0) == "9007199254740991"); // 2^53 - 1
  CHECK(prometheus_number(2.5) == "2.5");
  CHECK(prometheus_number(0.1) == "0.1");
  CHECK(prometheus_number(-0.25) == "-0.25");
  CHECK(prometheus_number(infinity) == "+Inf");
  CHECK(prometheus_number(-infinity) == "-Inf");
  CHECK(prometheus_number(not_a_number) == "NaN");
  CHECK(prometheus_number(-not_a_number) == "NaN");
  // Whatever the format, the text reads back as the same number.
  for (double v : {0.0001, 0.00025, 1.0 / 3, 6.02214076e23, 1e-300, 123456.789})
    CHECK(std::stod(prometheus_number(v)) == v);
}

TEST_CASE("counter values and special gauge values are formatted on the page") {
  auto metrics = std::make_shared<metrics_registry>();
  metrics->counters("bytes_total", "Bytes.").with({}).inc(10000000000ULL);
  auto& special = metrics->gauges("special", "Special values.", {"case"});
  special.with({"a_inf"}).set(infinity);
  special.with({"b_minus_inf"}).set(-infinity);
  special.with({"c_nan"}).set(not_a_number);
  const std::array<double, 1> bounds{1.0};
  metrics->histograms("unbounded", "Saw infinity.", bounds).with({}).observe(infinity);
  CHECK(metrics->expose()
        == "# HELP bytes_total Bytes.\n"
           "# TYPE bytes_total counter\n"
           "bytes_total 10000000000\n"
           "# HELP special Special values.\n"
           "# TYPE special gauge\n"
           "special{case=\"a_inf\"} +Inf\n"
           "special{case=\"b_minus_inf\"} -Inf\n"
           "special{case=\"c_nan\"} NaN\n"
           "# HELP unbounded Saw infinity.\n"
           "# TYPE unbounded histogram\n"
           "unbounded_bucket{le=\"1\"} 0\n"
           "unbounded_bucket{le=\"+Inf\"} 1\n"
           "unbounded_sum +Inf\n"
           "unbounded_count 1\n");
}

TEST_CASE("histogram buckets on the page are cumulative and the +Inf bucket equals the count") {
  auto metrics = std::make_shared<metrics_registry>();
  auto& h = metrics->histograms("call_seconds", "Calls.", latency_buckets_seconds).with({});
  // One observation on each bound, and two past them all.
  for (double bound : latency_buckets_seconds)
    h.observe(bound);
  h.observe(11);
  h.observe(1e9);
  auto page = metrics->expose();
  CAPTURE(page);
  double previous = 0;
  for (size_t i = 0; i < latency_buckets_seconds.size(); ++i) {
    auto le = prometheus_number(latency_buckets_seconds[i]);
    auto series = "call_seconds_bucket{le=\"" + le + "\"}";
    auto value = sample(page, series);
    REQUIRE(value);
    CHECK(*value == static_cast<double>(i + 1));
    CHECK(*value > previous);
    previous = *value;
  }
  auto count = sample(page, "call_seconds_count");
  REQUIRE(count);
  CHECK(*count == static_cast<double>(latency_buckets_seconds.size() + 2));
  CHECK(sample(page, "call_seconds_bucket{le=\"+Inf\"}") == count);
  CHECK(occurrences(page, "call_seconds_bucket{") == latency_buckets_seconds.size() + 1);
  double sum = 11 + 1e9;
  for (double bound : latency_buckets_seconds)
    sum += bound;
  auto written_sum = sample(page, "call_seconds_sum");
  REQUIRE(written_sum);
  CHECK(*written_sum == Approx(sum));
}

// -- families -----------------------------------------------------------------

TEST_CASE("the same name with the same type and labels returns the same family") {
  auto metrics = std::make_shared<metrics_registry>();
  auto& a = metrics->counters("jobs_total", "Jobs run.", {"kind"});
  auto& b = metrics->counters("jobs_total", "Other help is not a conflict.", {"kind"});
  CHECK(&a == &b);
  CHECK(a.name() == "jobs_total");
  CHECK(a.label_names() == std::vector<std::string>{"kind"});
  // And so the same instruments, counted once on the page.
  a.with({"nightly"}).inc();
  b.with({"nightly"}).inc();
  CHECK(&a.with({"nightly"}) == &b.with({"nightly"}));
  CHECK(a.with({"nightly"}).value() == 2);

  auto& g1 = metrics->gauges("open", "Open.");
  auto& g2 = metrics->gauges("open", "Open.");
  CHECK(&g1 == &g2);
  const std::array<double, 2> bounds{1.0, 2.0};
  auto& h1 = metrics->histograms("took_seconds", "Took.", bounds, {"route"});
  auto& h2 = metrics->histograms("took_seconds", "Took.", bounds, {"route"});
  CHECK(&h1 == &h2);

  auto page = metrics->expose();
  CHECK(occurrences(page, "# TYPE jobs_total ") == 1);
  CHECK(occurrences(page, "# HELP jobs_total Jobs run.\n") == 1);
  CHECK(sample(page, "jobs_total{kind=\"nightly\"}") == 2.0);
}

TEST_CASE("the same name with another type or other labels throws invalid_argument") {
  auto metrics = std::make_shared<metrics_registry>();
  metrics->counters("jobs_total", "Jobs run.", {"kind"}).with({"nightly"}).inc();
  const std::array<double, 2> bounds{1.0, 2.0};
  CHECK_THROWS_AS(metrics->gauges("jobs_total", "Jobs run.", {"kind"}), std::invalid_argument);
  CHECK_THROWS_AS(metrics->histograms("jobs_total", "Jobs run.", bounds, {"kind"}),
                  std::invalid_argument);
  CHECK_THROWS_AS(metrics->counters("jobs_total", "Jobs run."), std::invalid_argument);
  CHECK_THROWS_AS(metrics->counters("jobs_total", "Jobs run.", {"type"}), std::invalid_argument);
  CHECK_THROWS_AS(metrics->counters("jobs_total", "Jobs run.", {"kind", "queue"}),
                  std::invalid_argument);

  metrics->gauges("open", "Open.");
  CHECK_THROWS_AS(metrics->counters("open", "Open."), std::invalid_argument);
  metrics->histograms("took_seconds", "Took.", bounds);
  CHECK_THROWS_AS(metrics->gauges("took_seconds", "Took."), std::invalid_argument);
  CHECK_THROWS_AS(metrics->histograms("took_seconds", "Took.", bounds, {"route"}),
                  std::invalid_argument);
  // The first registration stands.
  auto page = metrics->expose();
  CHECK(page.find("# TYPE jobs_total counter\njobs_total{kind=\"nightly\"} 1\n")
        != std::string::npos);
  CHECK(occurrences(page, "# TYPE ") == 1);
}

TEST_CASE("metric names and label names that Prometheus refuses throw invalid_argument") {
  CHECK(is_valid_metric_name("a"));
  CHECK(is_valid_metric_name("_private"));
  CHECK(is_valid_metric_name("rpc:requests:rate5m"));
  CHECK(is_valid_metric_name("Mixed_Case_09"));
  CHECK_FALSE(is_valid_metric_name(""));
  CHECK_FALSE(is_valid_metric_name("1st"));
  CHECK_FALSE(is_valid_metric_name("has-dash"));
  CHECK_FALSE(is_valid_metric_name("has space"));
  CHECK_FALSE(is_valid_metric_name("dotted.name"));
  CHECK_FALSE(is_valid_metric_name("caf\xc3\xa9"));
  CHECK(is_valid_metric_name("kind", true));
  CHECK(is_valid_metric_name("_kind", true));
  CHECK_FALSE(is_valid_metric_name("a:b", true));
  CHECK_FALSE(is_valid_metric_name("__x", true));
  CHECK_FALSE(is_valid_metric_name("9lives", true));
  CHECK_FALSE(is_valid_metric_name("", true));

  auto metrics = std::make_shared<metrics_registry>();
  const std::array<double, 1> bounds{1.0};
  for (const char* bad : {"", "1st_total", "has-dash", "has space", "dotted.name", "caf\xc3\xa9"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(metrics->counters(bad, "Bad."), std::invalid_argument);
    CHECK_THROWS_AS(metrics->gauges(bad, "Bad."), std::invalid_argument);
    CHECK_THROWS_AS(metrics->histograms(bad, "Bad.", bounds), std::invalid_argument);
  }
  for (const char* bad : {"le", "quantile", "__x", "__name__", "1a", "a:b", "a-b", ""}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(metrics->counters("ok_total", "Fine.", {"kind", bad}), std::invalid_argument);
    CHECK_THROWS_AS(metrics->gauges("ok_gauge", "Fine.", {bad}), std::invalid_argument);
    CHECK_THROWS_AS(metrics->histograms("ok_seconds", "Fine.", bounds, {bad}),
                    std::invalid_argument);
  }
  // Nothing refused was registered.
  CHECK(metrics->expose().empty());
  CHECK_NOTHROW(metrics->counters("rpc:calls_total", "Colons are fine in metric names.",
                                  {"_kind", "Method2"}));
}

TEST_CASE("a wrong number of label values throws invalid_argument") {
  auto metrics = std::make_shared<metrics_registry>();
  auto& two = metrics->counters("calls_total", "Calls.", {"method", "code"});
  CHECK_THROWS_AS(two.with({}), std::invalid_argument);
  CHECK_THROWS_AS(two.with({"echo"}), std::invalid_argument);
  CHECK_THROWS_AS(two.with({"echo", "ok", "extra"}), std::invalid_argument);
  CHECK_NOTHROW(two.with({"echo", "ok"}));
  auto& none = metrics->gauges("open", "Open.");
  CHECK_THROWS_AS(none.with({"x"}), std::invalid_argument);
  CHECK_NOTHROW(none.with({}));
  const std::array<double, 1> bounds{1.0};
  auto& one = metrics->histograms("took_seconds", "Took.", bounds, {"route"});
  CHECK_THROWS_AS(one.with({}), std::invalid_argument);
  CHECK_THROWS_AS(one.with({"a", "b"}), std::invalid_argument);
  // The refused calls made no instruments.
  auto page = metrics->expose();
  CHECK(occurrences(page, "calls_total{") == 1);
  CHECK(occurrences(page, "took_seconds_bucket") == 0);
}

TEST_CASE("histogram bounds that do not rise strictly throw invalid_argument") {
  auto metrics = std::make_shared<metrics_registry>();
  auto refuse = [&](std::vector<double> bounds) {
    CAPTURE(bounds);
    CHECK_THROWS_AS(metrics->histograms("took_seconds", "Took.", bounds), std::invalid_argument);
  };
  refuse({});
  refuse({1, 1});
  refuse({2, 1});
  refuse({1, 2, 2, 3});
  refuse({1, 3, 2});
  refuse({not_a_number});
  refuse({1, not_a_number});
  refuse({not_a_number, 1});
  refuse({1, not_a_number, 2});
  CHECK(metrics->expose().empty());
  CHECK_NOTHROW(metrics->histograms("took_seconds", "Took.", std::vector<double>{-1, 0, 0.5}));
}

// -- collectors ---------------------------------------------------------------

TEST_CASE("collectors report counters and gauges and histograms on the page") {
  auto metrics = std::make_shared<metrics_registry>();
  metrics->counters("jobs_total", "Jobs run.").with({}).inc(5);
  const std::array<double, 2> bounds{0.5, 1.0};
  auto phi = std::make_shared<metric_histogram>(bounds);
  phi->observe(0.25);
  phi->observe(0.75);
  auto collection = metrics->add_collector([phi](metrics_writer& out) {
    out.counter("bytes_sent_total", "Bytes sent.", 1024, {{"peer", "n1"}});
    out.gauge("members", "Members known.", 3);
    out.histogram("phi", "Phi of the members.", *phi, {{"peer", "n1"}});
  });
  CHECK(metrics->expose()
        == "# HELP bytes_sent_total Bytes sent.\n"
           "# TYPE bytes_sent_total counter\n"
           "bytes_sent_total{peer=\"n1\"} 1024\n"
           "# HELP jobs_total Jobs run.\n"
           "# TYPE jobs_total counter\n"
           "jobs_total 5\n"
           "# HELP members Members known.\n"
           "# TYPE members gauge\n"
           "members 3\n"
           "# HELP phi Phi of the members.\n"
           "# TYPE phi histogram\n"
           "phi_bucket{peer=\"n1\",le=\"0.5\"} 1\n"
           "phi_bucket{peer=\"n1\",le=\"1\"} 2\n"
           "phi_bucket{peer=\"n1\",le=\"+Inf\"} 2\n"
           "phi_sum{peer=\"n1\"} 1\n"
           "phi_count{peer=\"n1\"} 2\n");
  // A collector reports what is true at each scrape.
  phi->observe(5);
  auto page = metrics->expose();
  CHECK(sample(page, "phi_count{peer=\"n1\"}") == 3.0);
  CHECK(sample(page, "phi_bucket{peer=\"n1\",le=\"+Inf\"}") == 3.0);
  CHECK(sample(page, "phi_bucket{peer=\"n1\",le=\"1\"}") == 2.0);
}

TEST_CASE("two collectors reporting one metric name share one HELP and TYPE") {
  auto metrics = std::make_shared<metrics_registry>();
  auto a = metrics->add_collector([](metrics_writer& out) {
    out.gauge("members", "Members known.", 3, {{"server", "a"}});
  });
  auto b = metrics->add_collector([](metrics_writer& out) {
    out.gauge("members", "Another help text.", 4, {{"server", "b"}});
  });
  CHECK(metrics->expose()
        == "# HELP members Members known.\n"
           "# TYPE members gauge\n"
           "members{server=\"a\"} 3\n"
           "members{server=\"b\"} 4\n");
}

TEST_CASE("a sample whose type conflicts with an earlier one of its name is dropped") {
  auto metrics = std::make_shared<metrics_registry>();
  metrics->counters("jobs_total", "Jobs run.", {"src"}).with({"family"}).inc(1);
  auto first = metrics->add_collector([](metrics_writer& out) {
    out.gauge("jobs_total", "A gauge now.", 9, {{"src", "gauge"}});    // families came first
    out.counter("jobs_total", "Jobs run.", 2, {{"src", "collector"}}); // agrees: kept
    out.gauge("members", "Members known.", 3);
  });
  const std::array<double, 1> bounds{1.0};
  auto h = std::make_shared<metric_histogram>(bounds);
  h->observe(0.5);
  auto second = metrics->add_collector([h](metrics_writer& out) {
    out.counter("members", "Members as a counter.", 7);
    out.histogram("members", "Members as a histogram.", *h);
    out.gauge("members", "Members known.", 4, {{"server", "b"}});
  });
  CHECK(metrics->expose()
        == "# HELP jobs_total Jobs run.\n"
           "# TYPE jobs_total counter\n"
           "jobs_total{src=\"family\"} 1\n"
           "jobs_total{src=\"collector\"} 2\n"
           "# HELP members Members known.\n"
           "# TYPE members gauge\n"
           "members 3\n"
           "members{server=\"b\"} 4\n");
}

TEST_CASE("a collector that throws does not cost the scrape the other metrics") {
  auto metrics = std::make_shared<metrics_registry>();
  metrics->counters("jobs_total", "Jobs run.").with({}).inc(5);
  auto before = metrics->add_collector([](metrics_writer& out) {
    out.gauge("before", "Reported before the failures.", 1);
  });
  auto failing = metrics->add_collector([](metrics_writer&) {
    throw std::runtime_error("the source went away");
  });
  auto odd = metrics->add_collector([](metrics_writer&) { throw 42; });
  auto after = metrics->add_collector([](metrics_writer& out) {
    out.gauge("after", "Reported after the failures.", 2);
  });
  std::string page;
  REQUIRE_NOTHROW(page = metrics->expose());
  CHECK(page
        == "# HELP after Reported after the failures.\n"
           "# TYPE after gauge\n"
           "after 2\n"
           "# HELP before Reported before the failures.\n"
           "# TYPE before gauge\n"
           "before 1\n"
           "# HELP jobs_total Jobs run.\n"
           "# TYPE jobs_total counter\n"
           "jobs_total 5\n");
  // And the next scrape too.
  CHECK(metrics->expose() == page);
}

TEST_CASE("destroying or resetting a metrics_collection removes its collector for good") {
  auto metrics = std::make_shared<metrics_registry>();
  int runs = 0;
  {
    auto collection = metrics->add_collector([&runs](metrics_writer& out) {
      ++runs;
      out.gauge("scoped", "Scoped.", 1);
    });
    CHECK(metrics->expose().find("scoped 1\n") != std::string::npos);
    CHECK(runs == 1);
  }
  CHECK(metrics->expose().empty());
  CHECK(runs == 1);

  auto collection = metrics->add_collector([&runs](metrics_writer& out) {
    ++runs;
    out.gauge("reset", "Reset.", 1);
  });
  auto other = metrics->add_collector([](metrics_writer& out) { out.gauge("other", "Other.", 2); });
  CHECK(metrics->expose().find("reset 1\n") != std::string::npos);
  CHECK(runs == 2);
  collection.reset();
  auto page = metrics->expose();
  CHECK(page.find("reset") == std::string::npos);
  CHECK(page.find("other 2\n") != std::string::npos); // only its own collector went
  CHECK(runs == 2);
  collection.reset(); // twice is harmless
  metrics_collection empty;
  empty.reset();      // and so is one that never held a collector
  CHECK(metrics->expose() == page);
  CHECK(runs == 2);
}

TEST_CASE("a moved metrics_collection keeps its collector until the moved-to one dies") {
  auto metrics = std::make_shared<metrics_registry>();
  auto first = metrics->add_collector([](metrics_writer& out) { out.gauge("first", "First.", 1); });
  {
    metrics_collection moved{std::move(first)};
    first.reset(); // the moved-from collection holds nothing any more
    CHECK(metrics->expose().find("first 1\n") != std::string::npos);
    {
      metrics_collection assigned;
      assigned = std::move(moved);
      CHECK(metrics->expose().find("first 1\n") != std::string::npos);
    }
    CHECK(metrics->expose().find("first") == std::string::npos);
  }

  // Moving onto a collection that holds a collector removes that one.
  auto a = metrics->add_collector([](metrics_writer& out) { out.gauge("a", "A.", 1); });
  auto b = metrics->add_collector([](metrics_writer& out) { out.gauge("b", "B.", 2); });
  a = std::move(b);
  CHECK(metrics->expose() == "# HELP b B.\n# TYPE b gauge\nb 2\n");
  auto& self = a;
  a = std::move(self); // self-move keeps it
  CHECK(metrics->expose() == "# HELP b B.\n# TYPE b gauge\nb 2\n");
  a.reset();
  CHECK(metrics->expose().empty());
}

TEST_CASE("add_collector on a registry not held by a shared_ptr throws invalid_argument") {
  metrics_registry metrics;
  CHECK_THROWS_AS(metrics.add_collector([](metrics_writer& out) { out.gauge("x", "X.", 1); }),
                  std::invalid_argument);
  // Families work without a shared_ptr.
  metrics.counters("jobs_total", "Jobs run.").with({}).inc();
  CHECK(metrics.expose()
        == "# HELP jobs_total Jobs run.\n# TYPE jobs_total counter\njobs_total 1\n");
}

TEST_CASE("a metrics_collection outliving its registry is harmless") {
  auto held = std::make_shared<int>(7);
  std::weak_ptr<int> captured = held;
  metrics_collection survivor;
  metrics_collection another;
  {
    auto metrics = std::make_shared<metrics_registry>();
    survivor = metrics->add_collector([held](metrics_writer& out) {
      out.gauge("held", "Held.", *held);
    });
    another = metrics->add_collector([](metrics_writer&) {});
    held.reset();
    CHECK(metrics->expose().find("held 7\n") != std::string::npos);
  }
  // The registry took its collectors, and what they captured, with it.
  CHECK(captured.expired());
  CHECK_NOTHROW(survivor.reset());
  metrics_collection moved{std::move(another)};
  // `moved` and `another` are destroyed at scope exit with no registry.
}

// -- concurrency --------------------------------------------------------------

TEST_CASE("updates from several threads while another scrapes all arrive exactly") {
  constexpr int workers = 4;
  constexpr int per_worker = 100000;
  auto metrics = std::make_shared<metrics_registry>();
  auto& jobs = metrics->counters("jobs_total", "Jobs run.", {"kind"});
  auto& open = metrics->gauges("jobs_open", "Jobs open.");
  const std::array<double, 3> bounds{0.25, 0.5, 1.0};
  auto& took = metrics->histograms("job_seconds", "Time a job took.", bounds);

  std::atomic<int> running{workers};
  std::vector<std::thread> threads;
  for (int t = 0; t < workers; ++t)
    threads.emplace_back([&, t] {
      // Every worker asks for the shared instruments at once.
      auto& shared = jobs.with({"shared"});
      std::string own_kind = "worker" + std::to_string(t);
      auto& own = jobs.with({own_kind});
      auto& histogram = took.with({});
      auto& gauge = open.with({});
      for (int i = 0; i < per_worker; ++i) {
        shared.inc();
        own.inc(2);
        histogram.observe(i % 2 == 0 ? 0.5 : 2.0);
        gauge.add(1);
      }
      running.fetch_sub(1);
    });

  // Catch2 assertions are not thread-safe: the scraper notes what it saw.
  std::vector<std::string> problems;
  int scrapes = 0;
  std::thread scraper([&] {
    double last_shared = 0;
    bool more = true;
    while (more) {
      more = running.load() > 0; // one scrape more after the workers end
      auto page = metrics->expose();
      ++scrapes;
      auto shared = sample(page, "jobs_total{kind=\"shared\"}");
      if (shared) {
        if (*shared < last_shared)
          problems.push_back("the shared counter went down:\n" + page);
        last_shared = *shared;
      }
      auto count = sample(page, "job_seconds_count");
      if (!count)
        continue;
      if (sample(page, "job_seconds_bucket{le=\"+Inf\"}") != count)
        problems.push_back("+Inf bucket and count differ:\n" + page);
      auto low = sample(page, "job_seconds_bucket{le=\"0.5\"}");
      auto high = sample(page, "job_seconds_bucket{le=\"1\"}");
      if (!low || !high || *low > *high || *high > *count)
        problems.push_back("buckets are not cumulative:\n" + page);
      if (occurrences(page, "# TYPE ") != 3)
        problems.push_back("not three metrics:\n" + page);
    }
  });
  for (auto& thread : threads)
    thread.join();
  scraper.join();

  CHECK(problems.empty());
  if (!problems.empty())
    FAIL_CHECK(problems.front());
  CAPTURE(scrapes);
  CHECK(scrapes >= 1);

  constexpr uint64_t total = uint64_t{workers} * per_worker;
  CHECK(jobs.with({"shared"}).value() == total);
  for (int t = 0; t < workers; ++t)
    CHECK(jobs.with({"worker" + std::to_string(t)}).value() == 2 * uint64_t{per_worker});
  CHECK(open.with({}).value() == static_cast<double>(total));
  auto reading = took.with({}).read();
  CHECK(reading.count == total);
  CHECK(reading.counts == std::vector<uint64_t>{0, total / 2, 0, total / 2});
  CHECK(reading.sum == static_cast<double>(total / 2) * 2.5);

  auto page = metrics->expose();
  CAPTURE(page);
  CHECK(sample(page, "jobs_total{kind=\"shared\"}") == static_cast<double>(total));
  CHECK(sample(page, "jobs_open") == static_cast<double>(total));
  CHECK(sample(page, "job_seconds_count") == static_cast<double>(total));
  CHECK(sample(page, "job_seconds_bucket{le=\"+Inf\"}") == static_cast<double>(total));
  CHECK(sample(page, "job_seconds_bucket{le=\"0.5\"}") == static_cast<double>(total / 2));
  CHECK(sample(page, "job_seconds_sum") == static_cast<double>(total / 2) * 2.5);
}

// -- promtool -----------------------------------------------------------------

TEST_CASE("promtool check metrics accepts a page with families and a collector") {
  const std::string promtool = "/usr/bin/promtool";
  if (!std::filesystem::exists(promtool))
    FAIL(promtool + " is missing: install the Debian package 'prometheus' to run this test");

  auto metrics = std::make_shared<metrics_registry>();
  auto& requests = metrics->counters("rpc_requests_total", "Requests handled, by method and code.",
                                     {"method", "code"});
  requests.with({"calculator.add", "ok"}).inc(40);
  requests.with({"calculator.add", "error"}).inc(2);
  // Every escape the writer makes must parse.
  requests.with({"odd \\ \"quoted\"\nline \xff \x01 \xe6\x97\xa5", "ok"}).inc();
  metrics->gauges("rpc_calls_in_flight", "Calls in flight.").with({}).set(3);
  auto& latency = metrics->histograms("rpc_call_duration_seconds", "Call latency in seconds.",
                                      latency_buckets_seconds, {"method"});
  for (double v : {0.00004, 0.0001, 0.003, 0.2, 1.0, 42.0})
    latency.with({"calculator.add"}).observe(v);
  auto phi = std::make_shared<metric_histogram>(latency_buckets_seconds);
  phi->observe(0.02);
  auto collection = metrics->add_collector([phi](metrics_writer& out) {
    out.gauge("rpc_members", "Members known, by state.", 2, {{"state", "alive"}});
    out.gauge("rpc_members", "Members known, by state.", 0, {{"state", "suspect"}});
    out.counter("rpc_gossip_messages_total", "Gossip messages sent.", 118);
    out.histogram("rpc_gossip_round_duration_seconds", "Time a gossip round took.", *phi);
  });
  auto page = metrics->expose();
  CAPTURE(page);
  REQUIRE(occurrences(page, "# TYPE ") == 6);

  rpcnet::test::temp_dir dir;
  auto input = dir.write("metrics.txt", page);
  auto output = dir.file("promtool.out");
  auto status = exit_status(promtool + " check metrics < '" + input + "' > '" + output + "' 2>&1");
  auto said = read_all(output);
  CAPTURE(said);
  CHECK(status == 0);
  CHECK(said.empty());
}
