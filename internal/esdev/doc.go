// Package esdev is an in-memory Elasticsearch-API stand-in for logpipe's
// tests and local demo stack.
//
// A Server answers HTTP on 127.0.0.1 with the request and response shapes
// of the Elasticsearch 7 REST API, as far as logtransfer (olivere/elastic
// v7, no sniffing, no healthcheck), logctl search and audit, the demo and
// its documented curl lines use it:
//
//	test / demo ──olivere or curl──▶ esdev.Server (HTTP) ──▶ in-memory indices
//	                                   ▲
//	   FailNextBulks, FailItems, RejectDocs, SetDelay, SetAutoCreate (faults)
//
// It is not Elasticsearch and never claims to be: GET / reports version
// "7.17.0-standin" and a tagline saying so. There is no Lucene, no
// relevance scoring (hits score 1, or 0 in filter context), one shard per
// index, no replica ever assigned, no persistence and no cluster. Unless
// WithRetention bounds it, it keeps every document it was sent. Passing
// against the stand-in is evidence, not proof, of working against a real
// cluster.
//
// # What is supported
//
// Each row is checked by the test named, which cites the Elasticsearch
// reference page of the rule it follows.
//
//	Behaviour                                                      Test
//	near-real-time search: _search/_count see writes only after   TestSearchSeesOnlyRefreshedWrites
//	  a refresh; POST [/{index}]/_refresh; GET _doc real-time
//	periodic refresh every index.refresh_interval (1s; -1 never)  TestPeriodicRefresh
//	?refresh=true|wait_for on _bulk and PUT _doc                  TestRefreshParameter
//	_bulk create/index of new _ids: 201; item 409 on create of    TestCreateThenConflict
//	  an existing _id (overwrites refused)
//	dynamic mapping; values checked against field types (item    TestMappingConflictFailsOnlyThatItem
//	  400 mapper_parsing_exception, nothing stored)
//	malformed bulk bodies fail the whole request (400)            TestMalformedBulks
//	_id: empty → item 400; over 512 bytes → request 400           TestDocumentIDs
//	index names by Elasticsearch's rules (400)                    TestIndexNames
//	429 per request (FailNextBulks) and per item (FailItems)      TestRejectedExecution
//	index.mapping.total_fields.limit (item 400)                   TestTotalFieldsLimit
//	SetAutoCreate(false): writes to missing indices 404           TestAutoCreateOff
//	PUT /{index}/_settings index.blocks.write, read_only (403),   TestWriteBlocks
//	  read_only_allow_delete (429): writes fail with
//	  cluster_block_exception until the block is lifted
//	PUT _settings of static or creation-only settings (400);      TestPutSettingsErrors
//	  missing index (404)
//	POST /{index}/_close, _open: writes 400 index_closed_exception TestCloseAndOpen
//	RejectDocs (item 400 mapper_parsing), SetDelay                TestRejectDocs, TestSetDelay
//	queries: bool, match_all, term, range (date math on now,      TestLogctlSearch
//	  partial dates rounded), query_string and ?q= (words,
//	  "phrases", field:value, wildcards, AND/OR/NOT, parentheses);
//	  field sort with unmapped_type
//	aggregations: terms (size), date_histogram (fixed_interval,   TestAuditAggregation
//	  min_doc_count 1), nested
//	sort _doc, search_after, size/from (at most 10000 hits),      TestPagingInDocOrder
//	  _source as a list of top-level fields
//	composable index templates (PUT, GET; one priority may not    TestTemplateShapesAutoCreatedIndex
//	  overlap), dynamic_templates by match_mapping_type, ILM
//	  policies (PUT, never run), PUT /{index} with settings and
//	  mappings, DELETE /{index} (names, wildcards)
//	_cat/indices[/{index}] (text, ?v): health yellow when         TestCatIndicesHealth
//	  replicas > 0, docs.count of searchable documents
//	GET /_cluster/health: green, yellow when replicas > 0         TestClusterHealth
//	WithOnRefresh reports what each refresh made searchable       TestOnRefreshReportsNewlySearchable
//	WithRetention keeps the newest documents (MaxDocs over all    TestRetentionKeepsNewestDocs,
//	  indices, MaxAge) and reports what it drops (not in ES)      TestRetentionMaxAge
//	Close/Restart keep the data; Count, Doc, EachMessage read it  TestCloseAndRestartKeepData
//	?filter_path: comma-separated includes with * and **; a       TestFilterPath
//	  filter applies to each element of an array; error answers
//	  unfiltered
//	everything else: 400 "... is not supported by the stand-in"   TestUnsupportedIsRefused
//
// Refused, among others (TestUnsupportedIsRefused lists them): overwrites,
// update and delete, routing, pipelines, versioning, require_alias, aliases,
// scroll, min_score, highlight, other queries, aggregations and their
// options, date math rounding, mapping parameters and field types not
// named above, legacy and component templates, compressed bodies, a known
// path with another method (Elasticsearch's 405), unknown URL parameters,
// exclusive filter_path filters ("-field") and the _nodes answers a
// sniffing client needs (logpipe does not sniff).
//
// NOTE: periodic refreshes run whether or not the index is searched. In
// Elasticsearch 7, an index without an explicit refresh_interval that saw
// no search for 30 s skips them, and a search then waits for one: there a
// search right after a write can see it, here it cannot. The stand-in errs
// on the strict side.
package esdev
