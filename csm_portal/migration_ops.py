"""Migration operations shared by the apps.

``AddIndexConcurrently`` builds an index with ``CREATE INDEX CONCURRENTLY`` on PostgreSQL, so a
large table (ticket messages: millions of rows) keeps taking writes while it builds; on SQLite
(the embedded database of ``make run`` only) it is a plain index. Django's own operation of that
name is PostgreSQL-only. A migration using it must set ``atomic = False``.
"""

from django.contrib.postgres import operations as postgres


class AddIndexConcurrently(postgres.AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):  # noqa: ANN001
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index)
        return None

    def database_backwards(self, app_label, schema_editor, from_state, to_state):  # noqa: ANN001
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index)
        return None
