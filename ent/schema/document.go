package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Document is a supply document of one partner: a drawing, a certificate,
// a packing list…; its bytes live in versions.
type Document struct{ ent.Schema }

// Mixin of the Document.
func (Document) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Document.
func (Document) Fields() []ent.Field {
	return []ent.Field{
		field.Int("partner_id").Immutable(),
		field.Enum("kind").Values("drawing", "certificate", "packing_list", "invoice", "quality_report", "other"),
		field.String("title").Validate(notEmpty).Validate(maxRunes(200)),
		field.String("description").Default("").Validate(maxRunes(2000)),
		field.Strings("tags").Default([]string{}),
		field.Int("current_version").Default(0),
		// Certificates only.
		field.String("cert_issuer").Default("").Validate(maxRunes(200)),
		field.String("cert_number").Default("").Validate(maxRunes(100)),
		field.Time("valid_from").Optional().Nillable(),
		field.Time("expires_on").Optional().Nillable(),
		// A mandatory certificate must be valid for the partner to get
		// new orders, when the partner is set to block on a lapse.
		field.Bool("mandatory").Default(false),
		// Links to the order, shipment or group the document belongs to;
		// those records arrive with later features.
		field.Int("order_id").Optional().Nillable(),
		field.Int("shipment_id").Optional().Nillable(),
		field.Int("group_id").Optional().Nillable(),
		field.Int("created_by_id").Optional().Nillable().Immutable(),
	}
}

// Edges of the Document.
func (Document) Edges() []ent.Edge {
	return []ent.Edge{edge.To("versions", DocumentVersion.Type)}
}

// Indexes of the Document.
func (Document) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("partner_id", "id"),
		index.Fields("kind", "expires_on"),
		index.Fields("order_id"),
		index.Fields("shipment_id"),
		index.Fields("group_id"),
	}
}

// DocumentVersion is one uploaded file of a document. Its object is
// written before this row commits, so a row never points at nothing.
type DocumentVersion struct{ ent.Schema }

// Fields of the DocumentVersion.
func (DocumentVersion) Fields() []ent.Field {
	return []ent.Field{
		field.Int("document_id").Immutable(),
		field.Int("partner_id").Immutable(),
		field.Int("version").Immutable(),
		field.String("object_key").Validate(notEmpty).Immutable(),
		field.Int64("size").Immutable(),
		field.String("sha256").Validate(notEmpty).Immutable(),
		field.String("content_type").Validate(notEmpty).Immutable(),
		field.String("filename").Validate(notEmpty).Validate(maxRunes(200)).Immutable(),
		field.Int("uploaded_by_id").Optional().Nillable().Immutable(),
		field.String("uploaded_by").Default("").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Edges of the DocumentVersion.
func (DocumentVersion) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("document", Document.Type).Ref("versions").Field("document_id").Unique().Required().Immutable(),
	}
}

// Indexes of the DocumentVersion.
func (DocumentVersion) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("document_id", "version").Unique(),
		index.Fields("object_key").Unique(),
		index.Fields("partner_id"),
	}
}

// DocumentDownload records who downloaded which version when. It outlives
// the document, so the record stays after a deletion.
type DocumentDownload struct{ ent.Schema }

// Fields of the DocumentDownload.
func (DocumentDownload) Fields() []ent.Field {
	return []ent.Field{
		field.Int("document_id").Immutable(),
		field.Int("version_id").Immutable(),
		field.Int("version").Immutable(),
		field.Int("partner_id").Immutable(),
		field.Int("user_id").Optional().Nillable().Immutable(),
		field.String("user").Default("").Immutable(),
		field.Enum("via").Values("presigned", "stream").Immutable(),
		field.String("ip").Default("").Validate(maxRunes(64)).Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the DocumentDownload.
func (DocumentDownload) Indexes() []ent.Index {
	return []ent.Index{index.Fields("document_id", "id"), index.Fields("partner_id", "id")}
}
