// Package esdev is an in-memory Elasticsearch-API stand-in for logpipe's
// tests and local demo stack.
//
// A Server answers HTTP on 127.0.0.1 with the request and response shapes
// of the Elasticsearch 7 REST API, as far as github.com/olivere/elastic/v7
// (v7.0.32) and a curl session use them, so that logtransfer's bulk
// indexer meets real per-item outcomes — 201, 409, 400, 429 — without an
// Elasticsearch installation:
//
//	test / demo ──olivere or curl──▶ esdev.Server (HTTP) ──▶ in-memory indices
//	                                   ▲
//	             FailNextBulks, RejectDocs, FailItems, SetDelay (fault scripting)
//
// It is not Elasticsearch and never claims to be: GET / reports version
// "7.17.0-standin" and a tagline saying so, and it sends no
// X-Elastic-Product header, so clients that verify the product (such as
// go-elasticsearch 7.14+) refuse it; olivere does not check. There is no Lucene, no relevance scoring
// (hits score 1, or 0 in filter context), one shard per index, no
// replicas, no persistence and no cluster. Passing against the stand-in is
// evidence, not proof, of working against a real cluster.
//
// # Endpoints
//
//   - GET|HEAD /, GET /_nodes[/...] (for olivere's sniffer; publishes this
//     node's own address), GET /_cluster/health[/{index}] (always green).
//   - PUT|GET|HEAD|DELETE /{index}; GET|PUT /{index}/_mapping;
//     GET /{index}/_settings; POST /{index}/_refresh (a no-op: writes are
//     visible at once); GET /_cat/indices[/{index}] (text or ?format=json).
//   - PUT|GET|HEAD|DELETE /_index_template/{name} (composable) and
//     /_template/{name} (legacy); PUT|GET|DELETE /_ilm/policy/{name} (stored,
//     never executed).
//   - POST /_bulk, POST /{index}/_bulk with index, create, update (doc,
//     upsert, doc_as_upsert, detect_noop) and delete; op_type, if_seq_no
//     and if_primary_term are honoured.
//   - GET|HEAD|PUT|POST|DELETE /{index}/_doc/{id}, POST /{index}/_doc,
//     PUT|POST /{index}/_create/{id}, POST /{index}/_update/{id}.
//   - GET|POST [/{index}]/_search and [/{index}]/_count.
//
// Index expressions may be comma lists with '*' wildcards, "_all" and
// "-exclusions". Any other path is answered 400 "no handler found", a
// known path with the wrong method 405. Request bodies may be gzipped
// (Content-Encoding: gzip) and must be JSON or NDJSON by Content-Type, and
// bodies over 100 MiB are refused with 413, as by Elasticsearch.
//
// # Writes
//
// Bulk items follow Elasticsearch's per-item semantics: create of an
// existing id is 409 version_conflict_engine_exception; index overwrites
// (200 updated) or creates (201); items without _id get a generated one;
// an invalid index name is 400 invalid_index_name_exception; a document
// line that is not a JSON object (or repeats a key) is 400
// mapper_parsing_exception for that item only. A malformed action line
// fails the whole request with 400, as does a body without a final newline.
//
// Indices are created on first write from the highest-priority matching
// composable template, or else the matching legacy templates merged by
// order. Each index keeps a mapping, from templates, create-index bodies
// and dynamic mapping (strings become text with a keyword sub-field, or
// date when they look like one; integers long; decimals float;
// dynamic_templates with match_mapping_type, match, path_match and their
// negations apply). A value that does not fit its mapped type — an object
// for a keyword, "abc" for a long, an unparseable date, a concrete value
// for an object — fails that item with 400 mapper_parsing_exception naming
// the field, and nothing of the item is stored, not even new mappings.
// "dynamic": "strict" and "false", ignore_malformed and ignore_above are
// honoured.
//
// # Search
//
// Queries: match_all, match_none, term, terms, match, match_phrase,
// multi_match, range (gt/gte/lt/lte and olivere's from/to form; numbers,
// dates with date math such as "now-15m" and "now/d" rounded as
// Elasticsearch rounds, strings), exists, prefix, wildcard, ids, bool,
// constant_score and query_string (field:value, bare words over all fields,
// "phrases", wildcards, field:>=n, field:[a TO b], _exists_, AND/OR/NOT,
// parentheses). Text fields match lower-cased tokens of an approximation
// of the standard analyzer; keyword fields match exactly. Sorting (on
// fields, _doc, _score; missing values last), size/from (up to 10000),
// search_after, track_total_hits, _source filtering, post_filter, and the
// aggregations terms, date_histogram (fixed or calendar intervals, gaps
// filled at min_doc_count 0), min, max, sum, avg, value_count and
// cardinality, nested in bucket aggregations, are supported. Sorting or
// aggregating on a text field fails as in Elasticsearch. Other queries,
// aggregations and options are refused with a 400 that says the stand-in
// does not support them, never silently ignored — except options that
// only shape output (highlight, timeout, stored_fields, ...), which are
// ignored, and filter_path, which is ignored so responses are a superset.
//
// Not supported: scroll, point in time, aliases (stored, never resolved),
// data streams, component templates, ingest pipelines (the pipeline
// parameter is ignored), scripts, nested queries, routing, versioning
// other than if_seq_no/if_primary_term.
//
// # Tests
//
// FailNextBulks, RejectDocs, FailItems and SetDelay script faults; Count,
// Doc, Indices and Stats inspect what arrived. Close and Restart take the
// listener down and back up on the same port while the data stays.
package esdev
