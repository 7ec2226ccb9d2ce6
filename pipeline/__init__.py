"""newsgraph: news articles to an event-centric knowledge graph."""
