import { Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { EntityManager } from 'typeorm';
import { caCertificateEntity, certificateEntity, sniEntity } from '../../../shared/entities';
import { CollectionController } from '../common/collection.controller';
import { EntityStore, type Entity } from '../common/entity-store.service';
import { listQuery, pageBody, writeOptions } from '../common/http';
import { NestedCollectionController } from '../common/nested-collection.controller';
import { isUuid } from '../common/sql';
import { notFound } from '../common/kong-http-error';

/**
 * Kong's `/certificates`: `snis` is transient — written as SNI entities (replacing the
 * certificate's set when given), read back as their sorted names — and a certificate can be
 * addressed by one of its SNIs (`/certificates/example.com`), as Kong allows.
 */
@Controller('certificates')
export class CertificatesController {
  constructor(private readonly store: EntityStore) {}

  private async withSnis(cert: Entity, tx?: EntityManager): Promise<Entity> {
    const rows = await (tx ?? this.store).query(
      'SELECT name FROM snis WHERE certificate_id = $1 ORDER BY name',
      [cert.id],
    );
    return { ...cert, snis: rows.map((r: { name: string }) => r.name) };
  }

  private async find(key: string, tx?: EntityManager): Promise<Entity | null> {
    if (isUuid(key)) return this.store.find(certificateEntity, key, tx);
    const sni = await this.store.find(sniEntity, key, tx);
    return sni ? this.store.find(certificateEntity, sni.certificate.id, tx) : null;
  }

  /** The certificate's SNIs become exactly `names`. */
  private async setSnis(
    tx: EntityManager,
    certId: string,
    names: unknown,
    opts: ReturnType<typeof writeOptions>,
  ) {
    if (names === undefined || names === null) return;
    const wanted = Array.isArray(names) ? names : [names];
    const current: Entity[] = (
      await tx.query('SELECT doc FROM snis WHERE certificate_id = $1', [certId])
    ).map((r: any) => r.doc);
    for (const s of current) if (!wanted.includes(s.name)) await this.store.deleteIn(tx, sniEntity, s.id);
    for (const name of wanted)
      if (!current.some((s) => s.name === name))
        await this.store.insertIn(
          tx,
          sniEntity,
          { name, certificate: { id: certId } },
          { coerce: opts.coerce },
        );
  }

  private split(body: unknown): { cert: Record<string, unknown>; snis: unknown } {
    const { snis, ...cert } = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    return { cert, snis };
  }

  @Get()
  async list(@Req() req: FastifyRequest) {
    const page = await this.store.list(certificateEntity, listQuery(req, certificateEntity));
    const data = await Promise.all(page.data.map((c) => this.withSnis(c)));
    return pageBody(req, { ...page, data });
  }

  @Post()
  @HttpCode(201)
  create(@Req() req: FastifyRequest) {
    const opts = writeOptions(req);
    const { cert, snis } = this.split(req.body);
    return this.store.versions.write(async (tx) => {
      const created = await this.store.insertIn(tx, certificateEntity, cert, opts);
      await this.setSnis(tx, created.id, snis, opts);
      return this.withSnis(created, tx);
    });
  }

  @Get(':key')
  async get(@Param('key') key: string) {
    const cert = await this.find(key);
    if (!cert) throw notFound();
    return this.withSnis(cert);
  }

  @Put(':key')
  put(@Param('key') key: string, @Req() req: FastifyRequest) {
    const opts = writeOptions(req);
    const { cert, snis } = this.split(req.body);
    return this.store.versions.write(async (tx) => {
      const existing = await this.find(key, tx);
      const id = existing?.id ?? key;
      const saved = await this.store.upsertIn(tx, certificateEntity, id, cert, opts);
      // PUT by an SNI name that is not there yet: the certificate gets that SNI.
      await this.setSnis(tx, saved.id, snis ?? (existing || isUuid(key) ? undefined : [key]), opts);
      return this.withSnis(saved, tx);
    });
  }

  @Patch(':key')
  patch(@Param('key') key: string, @Req() req: FastifyRequest) {
    const opts = writeOptions(req);
    const { cert, snis } = this.split(req.body);
    return this.store.versions.write(async (tx) => {
      const existing = await this.find(key, tx);
      if (!existing) throw notFound();
      const saved = await this.store.updateIn(tx, certificateEntity, existing, cert, opts);
      await this.setSnis(tx, saved.id, snis, opts);
      return this.withSnis(saved, tx);
    });
  }

  @Delete(':key')
  @HttpCode(204)
  async remove(@Param('key') key: string) {
    const cert = await this.find(key);
    if (cert) await this.store.remove(certificateEntity, cert.id);
  }
}

@Controller('snis')
export class SnisController extends CollectionController {
  constructor(store: EntityStore) {
    super(store, sniEntity);
  }
}

@Controller('certificates/:parent/snis')
export class CertificateSnisController extends NestedCollectionController {
  constructor(store: EntityStore) {
    super(store, certificateEntity, sniEntity, 'certificate');
  }
}

@Controller('ca_certificates')
export class CaCertificatesController extends CollectionController {
  constructor(store: EntityStore) {
    super(store, caCertificateEntity);
  }
}
