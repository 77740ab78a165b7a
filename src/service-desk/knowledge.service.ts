import type { AuditService } from '../audit/index.js';
import type { Ctx } from '../auth/index.js';
import type { Db } from '../platform/database.js';
import { notFound } from '../platform/errors.js';
import type { ArticleInput, ArticlePatch, ArticleSearch } from './knowledge.schemas.js';

export interface ArticleHit {
  id: string;
  title: string;
  symptoms: string;
  solution: string;
  faultCodes: number[];
  usageCount: number;
  score: number;
}

/**
 * Relevance = full-text rank of the query over title (weight A), symptoms (B) and cause /
 * solution (C), plus a fixed bonus when the article names the fault code and a smaller one
 * for the same device model, plus a little for articles that have helped often. The bonuses
 * put an exact fault-code match above a loose text match, which is what the desk wants
 * when a terminal reports a coded fault.
 */
const FAULT_BONUS = 1.0;
const MODEL_BONUS = 0.2;

export function createKnowledgeService({ db, audit }: { db: Db; audit: AuditService }) {
  return {
    async create(ctx: Ctx, input: ArticleInput) {
      return db.$transaction(async (tx) => {
        const row = await tx.knowledgeArticle.create({ data: { ...input, createdById: ctx.actor.userId } });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'knowledge-article.created',
            entityType: 'knowledge-article',
            entityId: row.id,
            after: row,
          },
          tx,
        );
        return row;
      });
    },

    async update(ctx: Ctx, id: string, patch: ArticlePatch) {
      const before = await db.knowledgeArticle.findUnique({ where: { id } });
      if (!before) throw notFound('Knowledge article');
      return db.$transaction(async (tx) => {
        const row = await tx.knowledgeArticle.update({ where: { id }, data: patch });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'knowledge-article.updated',
            entityType: 'knowledge-article',
            entityId: id,
            before,
            after: row,
          },
          tx,
        );
        return row;
      });
    },

    async get(id: string) {
      const row = await db.knowledgeArticle.findUnique({ where: { id } });
      if (!row) throw notFound('Knowledge article');
      return row;
    },

    /** Counts that an article was used to solve a problem; the count feeds the ranking. */
    async markUsed(id: string) {
      const updated = await db.knowledgeArticle.updateMany({ where: { id }, data: { usageCount: { increment: 1 } } });
      if (updated.count === 0) throw notFound('Knowledge article');
    },

    async search(s: ArticleSearch): Promise<ArticleHit[]> {
      const q = s.q?.trim() ?? '';
      const faultCode = s.faultCode ?? null;
      const modelId = s.deviceModelId ?? null;
      // websearch_to_tsquery accepts whatever people type (quotes, "or", minus) without syntax errors;
      // an OR of the words makes long symptom descriptions still match partially.
      const rows = await db.$queryRaw<(Omit<ArticleHit, 'score'> & { score: number })[]>`
        WITH query AS (
          SELECT CASE WHEN ${q} = '' THEN NULL
                 ELSE to_tsquery('english', array_to_string(ARRAY(
                   SELECT quote_literal(lexeme) FROM unnest(tsvector_to_array(to_tsvector('english', ${q}))) AS lexeme), ' | ')) END AS tsq
        ),
        doc AS (
          SELECT a.*,
                 setweight(to_tsvector('english', a.title), 'A') ||
                 setweight(to_tsvector('english', a.symptoms), 'B') ||
                 setweight(to_tsvector('english', coalesce(a.cause, '') || ' ' || a.solution), 'C') AS tsv
          FROM "KnowledgeArticle" a
        )
        SELECT d.id, d.title, d.symptoms, d.solution, d."faultCodes", d."usageCount",
               (coalesce(ts_rank_cd(d.tsv, query.tsq), 0)
                + CASE WHEN ${faultCode}::int IS NOT NULL AND ${faultCode}::int = ANY(d."faultCodes") THEN ${FAULT_BONUS}::float8 ELSE 0 END
                + CASE WHEN ${modelId}::uuid IS NOT NULL AND d."deviceModelId" = ${modelId}::uuid THEN ${MODEL_BONUS}::float8 ELSE 0 END
                + ln(1 + d."usageCount") * 0.01)::float8 AS score
        FROM doc d, query
        WHERE (query.tsq IS NOT NULL AND d.tsv @@ query.tsq)
           OR (${faultCode}::int IS NOT NULL AND ${faultCode}::int = ANY(d."faultCodes"))
           OR (query.tsq IS NULL AND ${faultCode}::int IS NULL)
        ORDER BY score DESC, d."usageCount" DESC, d.id
        LIMIT ${s.limit}`;
      return rows;
    },

    /** Suggestions for a ticket: its subject, description and fault code, and its terminal's model. */
    async suggestForTicket(ticketId: string, limit = 5): Promise<ArticleHit[]> {
      const t = await db.ticket.findUnique({ where: { id: ticketId }, include: { device: { select: { deviceModelId: true } } } });
      if (!t) throw notFound('Ticket');
      return this.search({
        q: [t.subject, t.description ?? ''].join(' '),
        faultCode: t.faultCode ?? undefined,
        deviceModelId: t.device?.deviceModelId,
        limit,
      });
    },
  };
}

export type KnowledgeService = ReturnType<typeof createKnowledgeService>;
