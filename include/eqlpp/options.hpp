// SPDX-License-Identifier: Apache-2.0
// File: eqlpp/options.hpp
//
// Plain option aggregates, set with designated initializers:
//
//   eqlpp::Engine engine{{.reorder_window = std::chrono::seconds(2),
//                         .max_partials_per_key = 64}};
//
// Every limit has a safe default; reaching a limit is counted in
// Engine::stats(), never a crash and never silent.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eqlpp/export.hpp"
#include "eqlpp/result.hpp"

namespace eqlpp {

/// A field's type in an Elasticsearch index mapping, as far as it changes an
/// answer (load_mapping() reads them; CompileOptions::field_mappings).
enum class FieldType : std::uint8_t {
  /// keyword, constant_keyword, wildcard, text, match_only_text: strings. A
  /// number or boolean in the event reads as its JSON text ("42"), as
  /// Elasticsearch indexes it.
  kKeyword,
  /// long, integer, short, byte, unsigned_long: "42" reads as 42 and 4.7 as 4
  /// (Elasticsearch's `coerce`).
  kInteger,
  /// double, float, half_float, scaled_float: "4.5" reads as 4.5.
  kFloat,
  /// boolean: true, "true", false, "false" and "" read as booleans.
  kBoolean,
  /// ip: compared as addresses (IPv4 as IPv4-mapped IPv6, as Elasticsearch
  /// stores it); `==` takes an address or a CIDR block, `<` and the like order
  /// addresses.
  kIp,
  /// version: `<`, `<=`, `>`, `>=` order values as versions (1.10.0 > 1.9.0,
  /// 1.0.0-beta < 1.0.0, a value that is not a version after every version).
  kVersion,
  /// date: values read in the mapping's `format` and become epoch
  /// milliseconds, as Elasticsearch returns a date's join keys.
  kDate,
  /// date_nanos: compared in nanoseconds; values stay as the event writes them.
  kDateNanos,
  /// alias: reading the field reads the field named by FieldMapping::path.
  kAlias,
  /// Any other type (object, nested, geo_point, flattened, ...): values are
  /// read as JSON gives them.
  kOther,
};

/// One field of an index mapping.
struct FieldMapping {
  FieldType type = FieldType::kKeyword;
  /// The mapping's `null_value`, as text: an explicit JSON null (or a null
  /// in an array) reads as it (a missing field stays missing), as
  /// Elasticsearch indexes it.
  std::optional<std::string> null_value;
  /// kAlias: the field the alias stands for.
  std::string path;
  /// kDate: the mapping's `format` (`epoch_second`, `yyyy-MM-dd HH:mm:ss`,
  /// alternatives joined by `||`); empty: ISO-8601 or epoch milliseconds.
  std::string format;
  /// The mapping's `ignore_malformed`: a value that does not convert to the
  /// type is dropped. Off (Elasticsearch's default), such an event is
  /// malformed (DiagCode::kMappingMismatch), as Elasticsearch rejects the
  /// document.
  bool ignore_malformed = false;
};

/// The EQL dialect a rule is written in.
enum class Dialect : std::uint8_t {
  /// By the rule's layout: Elastic Endpoint behaviour rules (a TOML `[rule]`
  /// table with `id` and no `language`; a JSON line without `language` or
  /// with "eql (implicit)") are kEndpoint, everything else (queries,
  /// detection rules) kElasticsearch.
  kAuto,
  /// Elasticsearch's EQL: Endpoint constructs are rejected with a diagnostic
  /// that names the Endpoint dialect.
  kElasticsearch,
  /// Elastic Endpoint's dialect, a superset: also `_arraysearch(array,
  /// $var, condition)` and comparisons of two fields (`a.x == b.y`).
  kEndpoint,
};

/// How a query or rule is compiled.
struct CompileOptions {
  /// The dialect (CLI `--dialect`); kAuto decides by the rule's layout.
  Dialect dialect = Dialect::kAuto;
  /// Deepest nesting of parentheses, `not`, calls and arithmetic accepted.
  std::size_t max_depth = 200;
  /// Longest query text accepted, in bytes.
  std::size_t max_query_length = 1u << 20;
  /// Field that `process where` tests (a rule's event_category_override wins).
  std::string event_category_field = "event.category";
  /// Fields mapped as Elasticsearch `date` (millisecond resolution) and
  /// `date_nanos`. A comparison of such a field with a string compares dates
  /// the way Elasticsearch's term and range queries on a date field do: the
  /// literal is parsed as a date (an invalid one is a compile error) and
  /// rounded at its own precision (`== "2017-08-30T20:47:33Z"` matches every
  /// event in that second; `<` and `>=` take its start, `<=` and `>` its
  /// end); a number is epoch milliseconds. Events' values are dates too
  /// (ISO-8601 text or epoch milliseconds), truncated to the resolution.
  /// load_mapping() fills these from an index mapping.
  std::vector<std::string> date_fields = {"@timestamp"};
  std::vector<std::string> date_nanos_fields;
  /// Every field of the index mapping (set by load_mapping(); unset: no
  /// mapping is known). When set, an optional field `?f` that the mapping
  /// does not have is null, as Elasticsearch reads it, so `?x == ?y` over
  /// two such fields compiles (and is true) instead of being a field
  /// comparison.
  std::optional<std::vector<std::string>> mapped_fields;
  /// Field types of the index mapping by dotted path (load_mapping() fills
  /// it; empty: types are guessed from JSON, as without a mapping). They
  /// change how events' values are read (FieldType) and how a comparison
  /// with a literal compares. A literal the field's type cannot read (`pid
  /// == "abc"` on a long, `flag == "yes"` on a boolean, `ip == 1`) is a
  /// compile error (DiagCode::kWrongArgumentType), as Elasticsearch fails
  /// such a query.
  std::map<std::string, FieldMapping, std::less<>> field_mappings;
};

/// Reads an Elasticsearch index mapping (the JSON of GET INDEX/_mapping, or
/// its "mappings" or "properties" object) into `options`, nested objects and
/// multi-fields (`fields`) as dotted paths: every field into field_mappings
/// and mapped_fields, and `date` and `date_nanos` fields into date_fields
/// and date_nanos_fields (a field the mapping gives another type stops being
/// a date). A second mapping merges into the first, its fields winning. An
/// error (DiagCode::kInvalidMapping) leaves `options` unchanged.
EQLPP_EXPORT Status load_mapping(std::string_view json, CompileOptions& options);

/// Process lineage, for the Endpoint dialect's `descendant of [q]`, `child of
/// [q]` and `event of [q]` (the Python reference engine's semantics):
///   - `event of [q]`: some earlier event of the same process (or this
///     one) matched q;
///   - `child of [q]`: the process's parent matched q, at some event
///     before the process started;
///   - `descendant of [q]`: some ancestor matched q before the next
///     generation started.
/// Each process is named by `process_field`, its parent by `parent_field`.
/// A process event (`category` in the category field) whose
/// `subtype_field` is one of `start_values` starts a process; one of
/// `end_values` ends it, and the process is forgotten at the next process
/// event. The table keeps an entry only for a process some sub-query
/// concerns (one bit per sub-query, not the event), at most `max_entries`,
/// least recently used evicted first (EngineStats::lineage_evicted). For
/// Endgame data (the python-eql suite): `unique_pid`, `unique_ppid`,
/// `opcode`, starts 1, 3, 9, ends 2, 4.
struct LineageOptions {
  std::string process_field = "process.entity_id";
  std::string parent_field = "process.parent.entity_id";
  std::string category = "process";
  std::string subtype_field = "event.type";
  std::vector<std::string> start_values = {"start"};
  std::vector<std::string> end_values = {"end"};
  std::size_t max_entries = 1'000'000;
};

/// How an Engine orders events and bounds its state.
struct EngineOptions {
  /// Batch evaluation, as Elasticsearch answers a query: read everything
  /// (no reorder window or buffer limit, no time guard), evaluate in
  /// (timestamp, tiebreaker, arrival) order, and at finish() deliver the
  /// results in Elasticsearch's order (events and samples by their first
  /// event, sequences by their last) after each rule's `head` and `tail`.
  /// Off (streaming): alerts are delivered as they complete; a leading
  /// `head` applies, `tail` cannot (it needs the end) and is ignored.
  bool batch = false;
  /// Hold events this long (in event time) to put them in order before
  /// evaluation. 0 processes events as they arrive; events out of order by
  /// more than the window are "late": counted and given to on_late().
  std::chrono::nanoseconds reorder_window{0};
  /// Field holding each event's time (ISO-8601 string or epoch milliseconds).
  std::string timestamp_field = "@timestamp";
  /// Whether the timestamp field is an Elasticsearch `date_nanos`: event
  /// time keeps the nanoseconds of the text. Off (a `date`, as ECS maps
  /// @timestamp), push_json truncates event time to the millisecond, as
  /// Elasticsearch orders and compares date timestamps (maxspan included:
  /// its sequence matcher takes the delta of the fetched timestamps, epoch
  /// milliseconds for `date`, milliseconds and nanoseconds for `date_nanos`).
  /// Alerts show the events' own text either way.
  bool timestamp_nanos = false;
  /// Elasticsearch date format of the timestamp field (`epoch_second`,
  /// `yyyy-MM-dd HH:mm:ss||epoch_millis`, ...), as its mapping gives it;
  /// empty: ISO-8601 text or epoch milliseconds. An invalid format makes
  /// every event's timestamp invalid.
  std::string timestamp_format;
  /// Field ordering events with equal timestamps (empty: arrival order).
  std::string tiebreaker_field;
  /// Default category field for rules that do not override it.
  std::string event_category_field = "event.category";
  /// Partial sequences kept per rule, join key and stage; the oldest is evicted first.
  std::size_t max_partials_per_key = 64;
  /// Distinct join keys with live state per rule; the least recently used key is evicted.
  std::size_t max_keys_per_rule = 1'000'000;
  /// Estimated bytes of sequence state across all rules of the engine: keys,
  /// partials and the events they hold. An event held by several partials
  /// (of one rule or of several) is one string in memory and counts once.
  std::size_t max_state_bytes = std::size_t{512} << 20;
  /// Longest event line accepted by push_json, in bytes.
  std::size_t max_line_bytes = std::size_t{16} << 20;
  /// Deepest nesting of arrays and objects push_json walks on the path of a
  /// field some rule reads (the event object itself is 1); a deeper line is
  /// malformed. Bounds the decoder's stack whatever the input.
  std::size_t max_json_depth = 100;
  /// Events held in the reorder buffer at most; past it the oldest are
  /// released early (counted in EngineStats::released_early).
  std::size_t max_buffered_events = 1'000'000;
  /// Estimated bytes held in the reorder buffer at most (records, their
  /// strings and payloads); past it the oldest are released early, as above.
  std::size_t max_buffered_bytes = std::size_t{256} << 20;
  /// Guard against forged timestamps (0 = off, the default). An event more
  /// than this far ahead of the newest event accepted so far does not move
  /// event time on its own: it is held aside until `time_jump_confirmations`
  /// events in a row (itself included) are all that far ahead, which
  /// confirms a real jump (they are then processed in arrival order). An
  /// event within the bound that arrives first proves the held events to be
  /// outliers: they are set aside, counted in EngineStats::ahead and handed
  /// to on_late() with LateEvent::ahead set. At finish() held events are
  /// processed (nothing follows that they could blind). The effective bound
  /// is never below reorder_window. The CLI turns it on (1 h) except with --sort.
  std::chrono::nanoseconds max_time_ahead{0};
  /// See max_time_ahead; clamped to [2, 1024] (1 would accept every jump at
  /// once; the held events are copies, so their number stays small).
  std::size_t time_jump_confirmations = 3;
  /// Join keys one event may take part under, per stage: a multi-valued key
  /// field joins on each of its values and several such fields on their
  /// cartesian product, as Elasticsearch does; past this bound the rest of
  /// the product is dropped and counted (EngineStats::key_combinations_dropped).
  std::size_t max_join_key_combinations = 256;
  /// Samples reported per join key and sample rule (Elasticsearch's
  /// max_samples_per_key request option; at least 1). Each sample is made
  /// of distinct events; per key and filter the engine keeps the first
  /// `filters x max_samples_per_key` events that match, as Elasticsearch's
  /// per-filter queries return at most that many.
  std::size_t max_samples_per_key = 1;
  /// Alerts per rule per second of event time (0 = unlimited); the rest are counted as suppressed.
  std::size_t max_alerts_per_second = 0;
  /// Process lineage for `descendant of` and the like (Endpoint dialect).
  LineageOptions lineage;
  /// Select rules by field values: a rule whose every stage requires one of
  /// a list of values of some field (`process.name : ("a.exe", "b.exe")`) is
  /// evaluated only for events with such a value; or one of the literals a
  /// wildcard pattern or a regex's matches contain (`"*mimikatz*"`, the
  /// atoms of RE2's prefilter), also inside `_arraysearch`; or, as a last
  /// resort, a value at all of a field it compares (`blocklist_label == 1`).
  /// `eqlpp explain` prints each rule's keys. Results are identical either
  /// way; turn it off only to compare or to measure.
  bool index_rules = true;
  /// Evaluate a condition that several rules (or stages) share once per
  /// event: a field compared with the same constants (`process.executable :
  /// ("a", "b")`, `user.id == "S-1-5-18"`) and `and`/`or`/`not` of such,
  /// wherever they recur; and skip a wildcard condition (`:`, `like`) when
  /// none of the literals its patterns require occurs in the field's values,
  /// found by one scan of the field for all rules. Results are identical
  /// either way; turn it off only to compare or to measure.
  bool share_conditions = true;
};

}  // namespace eqlpp
