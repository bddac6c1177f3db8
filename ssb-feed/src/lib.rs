//! Classic feed messages: create, sign, compute ids and validate. Filled by the ssb-feed issue.
