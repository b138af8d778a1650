//! lmsscc: end-to-end simulation of LLM-based separate source-channel coding links.
