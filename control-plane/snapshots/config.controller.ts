import { Controller, Get, Header } from '@nestjs/common';
import { SnapshotService } from './snapshot.service';

@Controller('config')
export class ConfigController {
  constructor(private readonly snapshots: SnapshotService) {}

  /** The effective config at the newest version: `{version, hash, config}`, canonical JSON. */
  @Get()
  @Header('content-type', 'application/json; charset=utf-8')
  async get(): Promise<string> {
    return (await this.snapshots.current()).json;
  }
}
