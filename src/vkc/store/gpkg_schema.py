"""DDL of the GeoPackage 1.3 layout: core tables, feature tables, R*Tree index and its triggers.

SQL text lives here and in :mod:`vkc.store.gpkg`; nowhere else in the package.
"""

from __future__ import annotations

import sqlite3

from vkc.store.dialect import Conn
from vkc.store.migrations import Migration

APPLICATION_ID = 0x47504B47  # 'GPKG'
USER_VERSION = 10300  # GeoPackage 1.3.0
RTREE_EXTENSION = "http://www.geopackage.org/spec120/#extension_rtree"
SCHEMA_EXTENSION = "http://www.geopackage.org/spec/#extension_schema"
# The platform's own tables (vkc_collections, vkc_records with the token hashes, sta_*, the alert
# tables) are not user content: none is registered in gpkg_contents. GDAL, and so QGIS, would then
# offer every unregistered table as a layer (its GPKG open option LIST_ALL_TABLES=AUTO does so
# while no table is registered as attributes and GDAL's aspatial extension is absent); the
# extension's one row tells GDAL that this file registers its non-spatial content explicitly, so
# only the feature collections are listed.
GDAL_ASPATIAL_DEFINITION = "http://gdal.org/geopackage_aspatial.html"

WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)

CORE_DDL = f"""
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
  ('WGS 84 geodetic', 4326, 'EPSG', 4326, '{WGS84_WKT}',
   'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
CREATE TABLE IF NOT EXISTS gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE IF NOT EXISTS gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
CREATE TABLE IF NOT EXISTS vkc_collections (
  name TEXT PRIMARY KEY REFERENCES gpkg_contents(table_name), title TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '', geometry_type TEXT NOT NULL, fields TEXT NOT NULL DEFAULT '[]',
  metadata TEXT NOT NULL DEFAULT '{{}}', created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vkc_records (
  kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated TEXT NOT NULL, PRIMARY KEY (kind, key));
"""
_GDAL_ASPATIAL_PRESENT = """SELECT 1 FROM gpkg_extensions
    WHERE extension_name = 'gdal_aspatial' AND table_name IS NULL AND column_name IS NULL"""
_GDAL_ASPATIAL_ROW = f"""INSERT INTO gpkg_extensions SELECT NULL, NULL, 'gdal_aspatial', '{GDAL_ASPATIAL_DEFINITION}', 'read-write'
  WHERE NOT EXISTS ({_GDAL_ASPATIAL_PRESENT})"""


DATA_COLUMNS_DDL = """CREATE TABLE IF NOT EXISTS gpkg_data_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT,
  mime_type TEXT, constraint_name TEXT,
  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
  CONSTRAINT gdc_tn UNIQUE (table_name, name))"""
DATA_COLUMN_CONSTRAINTS_DDL = """CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (
  constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT,
  min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN, description TEXT,
  CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))"""
# One row per table of the extension. gpkg_extensions' UNIQUE constraint cannot dedupe these
# (column_name is NULL and NULLs are distinct in SQLite), hence NOT EXISTS rather than OR IGNORE.
_REGISTER_SCHEMA_TABLE = (
    "INSERT INTO gpkg_extensions SELECT ?, NULL, 'gpkg_schema', ?, 'read-write' WHERE NOT EXISTS "
    "(SELECT 1 FROM gpkg_extensions WHERE table_name = ? AND column_name IS NULL AND extension_name = 'gpkg_schema')"
)


def declare_schema_extension(conn: sqlite3.Connection) -> None:
    """The schema extension (GeoPackage 1.3 F.9): both of its tables, each registered once."""
    conn.execute(DATA_COLUMNS_DDL)
    conn.execute(DATA_COLUMN_CONSTRAINTS_DDL)
    for table in ("gpkg_data_columns", "gpkg_data_column_constraints"):
        conn.execute(_REGISTER_SCHEMA_TABLE, (table, SCHEMA_EXTENSION, table))


def declare_json_columns(conn: sqlite3.Connection, table: str, columns: dict[str, bool]) -> None:
    """Mark columns holding JSON with the schema extension's MIME type, so GDAL and QGIS read them as JSON."""
    declare_schema_extension(conn)
    for column, is_json in columns.items():
        if is_json:
            conn.execute(
                "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, mime_type) VALUES (?, ?, 'application/json')",
                (table, column),
            )
        else:
            conn.execute("DELETE FROM gpkg_data_columns WHERE table_name = ? AND column_name = ?", (table, column))


def repair_layout(conn: sqlite3.Connection) -> None:
    """Bring a store written by an earlier release to the valid GeoPackage 1.3 layout (idempotent).

    Self-contained on purpose (its SQL is spelled out here, not shared): it is a step of the
    store's schema history and must keep doing exactly this whatever the current layout becomes.

    - gpkg_extensions rows that repeat (table_name, column_name, extension_name) are removed;
      earlier releases registered the schema extension once per collection with a JSON property.
    - The schema extension, where used (its table or a row of it), gets both of its tables and
      one row for each (validate_gpkg, Requirement 141).
    - The platform tables vkc_collections and vkc_records leave gpkg_contents: registered as
      attributes tables with TEXT primary keys they broke Requirement 119, and GDAL and QGIS
      offered the access tokens' hashes as a layer. GDAL's aspatial extension row keeps GDAL from
      listing the then unregistered tables instead (see GDAL_ASPATIAL_DEFINITION).
    """
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "gpkg_extensions" not in tables or "gpkg_contents" not in tables:
        return
    conn.execute(
        "DELETE FROM gpkg_extensions WHERE rowid NOT IN "
        "(SELECT min(rowid) FROM gpkg_extensions GROUP BY table_name, column_name, extension_name)"
    )
    uses_schema = "gpkg_data_columns" in tables or conn.execute(
        "SELECT 1 FROM gpkg_extensions WHERE extension_name = 'gpkg_schema'"
    ).fetchone()
    if uses_schema:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
            "name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT, "
            "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), CONSTRAINT gdc_tn UNIQUE (table_name, name))"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (constraint_name TEXT NOT NULL, "
            "constraint_type TEXT NOT NULL, value TEXT, min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, "
            "max_is_inclusive BOOLEAN, description TEXT, CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))"
        )
        for table in ("gpkg_data_columns", "gpkg_data_column_constraints"):
            conn.execute(
                "INSERT INTO gpkg_extensions SELECT ?, NULL, 'gpkg_schema', "
                "'http://www.geopackage.org/spec/#extension_schema', 'read-write' WHERE NOT EXISTS "
                "(SELECT 1 FROM gpkg_extensions WHERE table_name = ? AND column_name IS NULL AND extension_name = 'gpkg_schema')",
                (table, table),
            )
    conn.execute("DELETE FROM gpkg_contents WHERE table_name IN ('vkc_collections', 'vkc_records')")
    conn.execute(
        "INSERT INTO gpkg_extensions SELECT NULL, NULL, 'gdal_aspatial', 'http://gdal.org/geopackage_aspatial.html', "
        "'read-write' WHERE NOT EXISTS (SELECT 1 FROM gpkg_extensions "
        "WHERE extension_name = 'gdal_aspatial' AND table_name IS NULL AND column_name IS NULL)"
    )


def q(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def is_prepared(conn: sqlite3.Connection) -> bool:
    """Whether the file is marked as a GeoPackage 1.3 and has GDAL's aspatial row (reads only)."""
    if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID or conn.execute("PRAGMA user_version").fetchone()[0] != USER_VERSION:
        return False
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'gpkg_extensions'").fetchone():
        return True
    return conn.execute(_GDAL_ASPATIAL_PRESENT).fetchone() is not None


def prepare_file(conn: sqlite3.Connection) -> None:
    """Mark the file as a GeoPackage 1.3 and keep GDAL's aspatial row (idempotent; inside the caller's transaction).

    GDAL may drop the ``gdal_aspatial`` row when it adds a geometry column to a table; without it GDAL
    and QGIS would list the platform's tables as layers, so an open that finds it missing puts it back.
    """
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {USER_VERSION}")
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'gpkg_extensions'").fetchone():
        conn.execute(_GDAL_ASPATIAL_ROW)


def _core_tables(conn: Conn) -> None:
    # executescript() would commit the caller's transaction; run statement by statement.
    for statement in CORE_DDL.split(";\n"):
        if statement.strip():
            conn.raw.execute(statement)


#: the store's own tables in a GeoPackage file (the component ``store``)
MIGRATIONS = (
    Migration(1, "GeoPackage core tables, collections and records", sqlite=(_core_tables,)),
    Migration(2, "a valid GeoPackage 1.3: platform tables out of gpkg_contents, the schema extension whole and once", sqlite=(lambda c: repair_layout(c.raw),)),
)


def legacy_versions(conn: Conn) -> dict[str, int] | None:
    """The versions of a file laid out by vkc 0.1.0, before per-component versions (None: no platform tables)."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "vkc_collections" not in tables:
        return None
    versions = {"store": 1}
    if "sta_observations" in tables:
        versions["sensors"] = 1
    if "vkc_alert_subscriptions" in tables:
        versions["alerts"] = 1
    return versions


def rtree_name(table: str) -> str:
    return f"rtree_{table}_geom"


def create_feature_table(conn: sqlite3.Connection, table: str, geometry_type: str, columns: list[tuple[str, str]]) -> None:
    cols = "".join(f", {q(name)} {sqltype}" for name, sqltype in columns)
    conn.execute(
        f"CREATE TABLE {q(table)} (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom {geometry_type}, "
        f"vkc_id TEXT NOT NULL UNIQUE, vkc_time DATETIME, vkc_time_end DATETIME{cols})"
    )
    conn.execute(f"CREATE VIRTUAL TABLE {q(rtree_name(table))} USING rtree(id, minx, maxx, miny, maxy)")
    conn.execute(
        "INSERT INTO gpkg_extensions VALUES (?, 'geom', 'gpkg_rtree_index', ?, 'write-only')",
        (table, RTREE_EXTENSION),
    )
    create_time_indexes(conn, table)
    create_rtree_triggers(conn, table)


def create_time_indexes(conn: sqlite3.Connection, table: str) -> None:
    conn.execute(f"CREATE INDEX IF NOT EXISTS {q(f'vkc_idx_{table}_time')} ON {q(table)} (vkc_time)")
    conn.execute(f"CREATE INDEX IF NOT EXISTS {q(f'vkc_idx_{table}_time_end')} ON {q(table)} (vkc_time_end)")


def create_property_index(conn: sqlite3.Connection, table: str, properties: tuple[str, ...]) -> None:
    """A declared property index (:mod:`vkc.store.indexes`): a plain SQLite index on the property columns."""
    from vkc.store.indexes import index_name

    columns = ", ".join(q(p) for p in properties)
    conn.execute(f"CREATE INDEX IF NOT EXISTS {q(index_name(table, properties))} ON {q(table)} ({columns})")


# The write triggers of the GeoPackage R*Tree extension (GeoPackage 1.3 Annex F.3),
# so that GDAL, QGIS or any other writer keeps the index in step with the table.
_WRITE_TRIGGERS = {
    "insert": """AFTER INSERT ON {t} WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO {r} VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
  ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END""",
    "update1": """AFTER UPDATE OF geom ON {t} WHEN OLD.fid = NEW.fid AND
  (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO {r} VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
  ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END""",
    "update2": """AFTER UPDATE OF geom ON {t} WHEN OLD.fid = NEW.fid AND
  (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM {r} WHERE id = OLD.fid; END""",
    "update3": """AFTER UPDATE ON {t} WHEN OLD.fid != NEW.fid AND
  (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM {r} WHERE id = OLD.fid; INSERT OR REPLACE INTO {r} VALUES (NEW.fid,
  ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END""",
    "update4": """AFTER UPDATE ON {t} WHEN OLD.fid != NEW.fid AND
  (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM {r} WHERE id IN (OLD.fid, NEW.fid); END""",
}
_DELETE_TRIGGER = """AFTER DELETE ON {t} WHEN old.geom NOT NULL
BEGIN DELETE FROM {r} WHERE id = OLD.fid; END"""


def _trigger_name(table: str, suffix: str) -> str:
    return q(f"{rtree_name(table)}_{suffix}")


def create_rtree_triggers(conn: sqlite3.Connection, table: str, *, delete_only: bool = False) -> None:
    """The R*Tree triggers; ``delete_only`` while our own bulk writes keep the index themselves."""
    fmt = {"t": q(table), "r": q(rtree_name(table))}
    conn.execute(f"CREATE TRIGGER IF NOT EXISTS {_trigger_name(table, 'delete')} {_DELETE_TRIGGER.format(**fmt)}")
    if not delete_only:
        for suffix, body in _WRITE_TRIGGERS.items():
            conn.execute(f"CREATE TRIGGER IF NOT EXISTS {_trigger_name(table, suffix)} {body.format(**fmt)}")


def drop_write_triggers(conn: sqlite3.Connection, table: str) -> None:
    """Our own writes keep the R*Tree in step in bulk; the per-row triggers are for other writers."""
    for suffix in _WRITE_TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {_trigger_name(table, suffix)}")


def drop_feature_table(conn: sqlite3.Connection, table: str) -> None:
    conn.execute(f"DROP TABLE IF EXISTS {q(rtree_name(table))}")
    conn.execute(f"DROP TABLE IF EXISTS {q(table)}")
    conn.execute("DELETE FROM gpkg_extensions WHERE table_name = ?", (table,))
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'gpkg_data_columns'").fetchone():
        conn.execute("DELETE FROM gpkg_data_columns WHERE table_name = ?", (table,))
    conn.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = ?", (table,))
    conn.execute("DELETE FROM vkc_collections WHERE name = ?", (table,))
    conn.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (table,))
