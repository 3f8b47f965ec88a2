"""Search objects the migrations make by hand (FTS5 on SQLite, pg_trgm indexes on PostgreSQL, the
SimHash band indexes of C14's near-duplicate lookup): they are not in the models' metadata, so
schema comparison leaves them out."""


def include_object(obj, name, type_, reflected, compare_to):
    return not (name and (name.startswith("post_fts") or name.startswith("trgm_") or name.startswith("simband_")))
