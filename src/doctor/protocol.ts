// Messages between the connection report (webview) and the host, validated on receipt.
import { type DoctorReport } from '../core/doctor/types';

export type ReportHostToView = { type: 'report'; report: DoctorReport; canPin: boolean; pinned: boolean };

export type ReportViewToHost = { type: 'ready' } | { type: 'copyMarkdown' } | { type: 'saveJson' } | { type: 'pin' };

export function parseReportMessage(raw: unknown): ReportViewToHost | undefined {
  const type = raw && typeof raw === 'object' ? (raw as { type?: unknown }).type : undefined;
  return type === 'ready' || type === 'copyMarkdown' || type === 'saveJson' || type === 'pin' ? { type } : undefined;
}
