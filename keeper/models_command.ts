/**
 * `rbee models pull|list|show|rm`: the model catalog of the cluster, through
 * the queen (started for this command when none runs).
 */
import { queenRequest, type QueenSession } from "./queen_request.ts";
import type { Command } from "./command.ts";
import { clientToken } from "./client_token.ts";
import { alignColumns } from "./text_columns.ts";
import { PullProgressView } from "./pull_progress_view.ts";
import { formatBytes } from "../shared/format.ts";
import { connectQueen, DEFAULT_QUEEN_URL, type QueenConnection } from "./queen_connection.ts";
import { authHeaders } from "../shared/auth.ts";
import { PullProgressEvent } from "../shared/contracts/inference.ts";
import { DtypeQuery, type ModelInfo, ModelList, RemoveModelResult } from "../shared/contracts/models.ts";
import { parseModelRef } from "../shared/model_ref.ts";
import { validate } from "../shared/validation.ts";
import { rbeeHome } from "../shared/daemon_config.ts";
import { fromEnvelope, RbeeError } from "../shared/errors.ts";
import { exitWithError, parseFlags } from "../shared/flags.ts";
import { readSse } from "../shared/sse.ts";

/** Usage of `rbee models`. */
export const MODELS_USAGE = `rbee models — pull, list, show and remove models

Usage:
  rbee models pull REF [--dtype D] [--hive NAME]
                                       download a model (on every hive, or one)
  rbee models list                     table: reference, format, dtype, size, hives, last used
  rbee models show REF [--dtype D]     one model, with its files and their sha256
  rbee models rm REF [--dtype D] [--force] [--hive NAME]
                                       remove it; --force stops the workers using it first

  --dtype D           fp32 | fp16 | q8 | q4: the ONNX variant (onnx/model.onnx, model_fp16.onnx,
                      model_quantized.onnx, model_q4.onnx); pull defaults to fp32, show to fp32
                      when installed, rm to every precision installed
  --json              print the queen's JSON answer instead of text
  --token-file FILE   token for the queen (else RBEE_TOKEN_FILE or RBEE_TOKEN)

REF is hf:<org>/<repo>[:<subfolder>][@<revision>] or file:<path>.`;

/** The `models` command. */
export const modelsCommand: Command = {
  summary: "pull, list, show and remove models",
  usage: MODELS_USAGE,
  async run(args, env) {
    let parsed;
    try {
      parsed = parseFlags(args, {
        hive: { type: "string" },
        dtype: { type: "string" },
        force: { type: "boolean" },
        json: { type: "boolean" },
        "token-file": { type: "string" },
      }, true);
    } catch (err) {
      exitWithError(err, 2);
    }
    const [sub, ref, ...extra] = parsed.positionals;
    const needsRef = sub === "pull" || sub === "show" || sub === "rm";
    if (!["pull", "list", "show", "rm"].includes(sub ?? "") || (needsRef && !ref) || extra.length) {
      console.error(MODELS_USAGE);
      return 2;
    }
    // A mistyped reference or precision is refused here, before a queen is reached (or started).
    try {
      if (needsRef) parseModelRef(ref);
      validate(DtypeQuery, { dtype: parsed.values.dtype }, "arguments");
    } catch (err) {
      exitWithError(err, 2);
    }
    let connection: QueenConnection | null = null;
    try {
      const home = rbeeHome(env);
      const logFile = `${home}/logs/ephemeral.log`;
      const token = clientToken(parsed.values["token-file"], env);
      connection = await connectQueen(env.RBEE_QUEEN_URL ?? DEFAULT_QUEEN_URL, token, home, logFile, () => {
        console.error(`No queen is running; starting one for this command (logs: ${logFile})`);
      });
      const session = { url: connection.url, headers: authHeaders(connection.token) };
      const v = parsed.values;
      if (sub === "pull") await pull(session, ref, v.hive, v.dtype);
      else if (sub === "list") await list(session, v.json ?? false);
      else if (sub === "show") await show(session, ref, v.json ?? false, v.dtype);
      else await remove(session, ref, v.force ?? false, v.hive, v.dtype);
      await connection.close();
      return 0;
    } catch (err) {
      await connection?.close();
      exitWithError(err, 1);
    }
  },
};

async function pull(s: QueenSession, ref: string, hive?: string, dtype?: string): Promise<void> {
  const res = await queenRequest(s, "POST", "/v2/models/pull", { model: ref, hive, dtype });
  const view = new PullProgressView();
  for await (const ev of readSse(res.body!)) {
    const data = JSON.parse(ev.data);
    if (ev.event === "progress") {
      view.show(PullProgressEvent.parse(data));
    } else if (ev.event === "error") {
      view.end();
      throw fromEnvelope({ error: data }, 502);
    } else if (ev.event === "done") {
      view.end();
      const precision = data.dtype && data.dtype !== "fp32" ? ` (${data.dtype})` : "";
      console.log(`Pulled ${data.model}${precision} on ${(data.hives as string[]).join(", ")}`);
      return;
    }
  }
  throw new RbeeError("HIVE_UNAVAILABLE", "The queen ended the pull without an answer");
}

/** The `list` table; pure. */
export function modelTable(models: ModelInfo[]): string {
  const rows = [["REFERENCE", "FORMAT", "DTYPE", "SIZE", "HIVES", "LAST USED"]];
  for (const m of models) {
    const hives = (m.hives ?? []).join(",");
    rows.push([m.ref, m.format, m.dtype, formatBytes(m.size), hives, m.last_used?.slice(0, 19) ?? "never"]);
  }
  return alignColumns(rows).join("\n");
}

async function list(s: QueenSession, json: boolean): Promise<void> {
  const body = ModelList.parse(await (await queenRequest(s, "GET", "/v2/models")).json());
  console.log(
    json ? JSON.stringify(body, null, 2) : body.models.length ? modelTable(body.models) : "No models",
  );
}

async function show(s: QueenSession, ref: string, json: boolean, dtype?: string): Promise<void> {
  const q = `?model=${encodeURIComponent(ref)}${dtype ? `&dtype=${encodeURIComponent(dtype)}` : ""}`;
  const m = await (await queenRequest(s, "GET", `/v2/models/show${q}`)).json();
  if (json) return console.log(JSON.stringify(m, null, 2));
  const lines = [
    `reference  ${m.ref}`,
    `commit     ${m.commit ?? "-"}`,
    `format     ${m.format} (${m.dtype})`,
    `size       ${formatBytes(m.size)}`,
    `hives      ${(m.hives ?? []).join(", ")}`,
    `pulled     ${m.pulled_at}`,
    `last used  ${m.last_used ?? "never"}`,
    "files:",
    ...alignColumns(
      (m.files as { path: string; size: number; sha256?: string }[]).map((f) => [
        f.path,
        formatBytes(f.size),
        f.sha256 ?? "",
      ]),
    ).map((line) => `  ${line}`),
  ];
  console.log(lines.join("\n"));
}

async function remove(
  s: QueenSession,
  ref: string,
  force: boolean,
  hive?: string,
  dtype?: string,
): Promise<void> {
  const q = `?model=${encodeURIComponent(ref)}${force ? "&force=true" : ""}` +
    (hive ? `&hive=${encodeURIComponent(hive)}` : "") + (dtype ? `&dtype=${encodeURIComponent(dtype)}` : "");
  const r = RemoveModelResult.parse(await (await queenRequest(s, "DELETE", `/v2/models${q}`)).json());
  const stopped = r.stopped_workers.length ? ` (stopped ${r.stopped_workers.join(", ")})` : "";
  const precisions = r.dtypes?.length && r.dtypes.join() !== "fp32" ? ` (${r.dtypes.join(", ")})` : "";
  console.log(`Removed ${r.ref}${precisions} from ${(r.hives ?? []).join(", ")}${stopped}`);
}
