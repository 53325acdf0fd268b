import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Controller, Get, Param, Res } from '@nestjs/common';
import { ReportExportsService } from '@tasuki/domain';
import { Can, conflict, type RequestContext } from '@tasuki/platform';
import type { Response } from 'express';
import { Ctx } from '../auth/request.js';

/**
 * GET /exports/:id.csv (and .json): the record-level rows of an anonymized export, streamed, with the GraphQL
 * endpoint's authentication (Bearer token, X-Organization-Id) and policy. Another organization's export and a
 * missing one are 404; one not finished yet (or failed) 409; one past its expiry 410 Gone. Each download is an audit
 * event.
 */
@Controller('exports')
export class ExportsController {
  constructor(private readonly exportService: ReportExportsService) {}

  @Can('read', 'ReportExport')
  @Get(':id.csv')
  csv(@Ctx() ctx: RequestContext, @Param('id') id: string, @Res() res: Response): Promise<void> {
    return this.send(ctx, id, res, 'csv');
  }

  /** The same rows as JSON: `{"columns": [...], "rows": [{column: value}, ...]}`, with the same rules. */
  @Can('read', 'ReportExport')
  @Get(':id.json')
  json(@Ctx() ctx: RequestContext, @Param('id') id: string, @Res() res: Response): Promise<void> {
    return this.send(ctx, id, res, 'json');
  }

  private async send(ctx: RequestContext, id: string, res: Response, format: 'csv' | 'json'): Promise<void> {
    const download = await this.exportService.download(ctx, id, format);
    if (download.state === 'expired') {
      res
        .status(410)
        .json({ code: 'GONE', message: 'ダウンロードの期限を過ぎています。もう一度作成を依頼してください。' });
      return;
    }
    if (download.state === 'not-ready') {
      throw conflict(
        download.status === 'FAILED'
          ? '匿名加工データの作成に失敗しました。理由を確認して、もう一度依頼してください。'
          : '匿名加工データはまだ作成が完了していません。',
      );
    }
    res.status(200);
    res.setHeader('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="tasuki-export-${download.export.id}.${format}"`);
    res.setHeader('cache-control', 'no-store');
    await pipeline(Readable.from(download.lines), res);
  }
}
