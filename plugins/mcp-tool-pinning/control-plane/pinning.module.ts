import { Module } from '@nestjs/common';
import { PluginHostModule } from '../../../control-plane/plugin-api';
import { PinningController } from './pinning.controller';
import { PinViews } from './pin-views.service';
import { PinDecisions } from './pin-decisions.service';
import { HeldTools } from './held-tools.service';

@Module({
  imports: [PluginHostModule],
  controllers: [PinningController],
  providers: [PinViews, PinDecisions, HeldTools],
})
export class PinningModule {}
