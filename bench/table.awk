# table.awk — bench.sh's results table and target verdicts, in Markdown.
# Input: results.tsv (tool, file, wall s, peak RSS KiB, runs, note, % CPU
# used by other processes just before);
# -v files=files.tsv (file, packets, capture bytes, file bytes);
# -v opens=open.tsv (flood file, attempts open at peak).
BEGIN {
	FS = OFS = "\t"
	while ((getline line < files) > 0) {
		split(line, col, "\t")
		packets[col[1]] = col[2]; cbytes[col[1]] = col[3]
	}
	while ((getline line < opens) > 0) {
		split(line, col, "\t")
		open_[col[1]] = col[2]
	}
}
{
	n++
	tool[n] = $1; file[n] = $2; W[$1, $2] = $3; R[$1, $2] = $4; runs[n] = $5; note[n] = $6; others[n] = $7
}
function base(f) { sub(/\.(pcapng|pcap\.gz|pcap\.zst)$/, ".pcap", f); return f }
function wall(s) { return s < 1 ? sprintf("%.0f ms", s * 1000) : s < 10 ? sprintf("%.2f s", s) : sprintf("%.1f s", s) }
function mb(kib) { return kib >= 10 * 1024 * 1024 ? sprintf("%.1f GB", kib / 1048576) : sprintf("%.0f MB", kib / 1024) }
function mbs(v) { return v < 10 ? sprintf("%.1f", v) : sprintf("%.0f", v) }
function rate(x) { return x >= 1e6 ? sprintf("%.1f M", x / 1e6) : sprintf("%.0f k", x / 1e3) }
function has(t, f) { return ((t, f) in W) && W[t, f] > 0 }
function x(r) { return r >= 10 ? sprintf("%.0f×", r) : sprintf("%.2f×", r) }
function verdict(ok, text, miss) {
	printf "- **%s** %s%s\n", ok ? "met" : "missed", text, ok ? "" : " — " miss
}
END {
	print "| tool | file | packets/s | MB/s | wall | peak RSS | × floor | runs | others | note |"
	print "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
	for (i = 1; i <= n; i++) {
		t = tool[i]; f = file[i]; w = W[t, f]
		lt = note[i] ~ /timed out/ ? "< " : ""    # a timed-out run: bounds only
		gt = lt == "" ? "" : "> "
		fl = has("floor", base(f)) ? gt x(w / W["floor", base(f)]) : ""
		printf "| %s | %s | %s%s | %s%s | %s%s | %s | %s | %d | %d%% | %s |\n", t, f, lt, rate(packets[f] / w), lt, mbs(cbytes[f] / 1e6 / w),
			gt, wall(w), (R[t, f] > 0 ? mb(R[t, f]) : "—"), fl, runs[i], others[i], note[i]
	}
	print ""
	print "Targets:"
	H = "halfopen-json"
	for (k = 1; k <= 2; k++) {
		f = k == 1 ? "mixed.pcap" : "flood.pcap"
		if (has(H, f) && has("floor", f)) {
			r = W[H, f] / W["floor", f]
			verdict(r <= 3, sprintf("whole `halfopen analyze` within 3× of the floor on %s: %s (%s vs %s)", f, x(r), wall(W[H, f]), wall(W["floor", f])),
				sprintf("%.1f× too slow: halfopen must take ≤ %s", r / 3, wall(3 * W["floor", f])))
		}
	}
	for (k = 1; k <= 2; k++) {
		f = k == 1 ? "mixed.pcap" : "flood.pcap"
		if (!has(H, f)) continue
		if (!has("tshark", f)) { printf "- **not measured** ≥100× faster than tshark on %s (tshark skipped)\n", f; continue }
		r = W["tshark", f] / W[H, f]
		verdict(r >= 100, sprintf("≥100× faster than tshark on %s: %s (tshark %s)", f, x(r), wall(W["tshark", f])),
			sprintf("%.1f× short: halfopen must take ≤ %s", 100 / r, wall(W["tshark", f] / 100)))
	}
	f = "flood.pcap"
	if (has(H, f)) {
		verdict(R[H, f] <= 300 * 1024, sprintf("peak RSS on %s ≤ 300 MB: %s", f, mb(R[H, f])), sprintf("%s over", mb(R[H, f] - 300 * 1024)))
	}
	if (has(H, "flood-25.pcap") && has(H, "flood-50.pcap") && has(H, f) && open_["flood-25.pcap"] > 0) {
		r = R[H, f] / R[H, "flood-25.pcap"]
		a = open_[f] / open_["flood-25.pcap"]
		p = packets[f] / packets["flood-25.pcap"]
		verdict(r <= 1.25 * (a > 1 ? a : 1),
			sprintf("memory grows with attempts still open, not packets: from ¼ to ½ to the whole flood, packets %d → %d → %d (×%.1f), attempts open at peak %d → %d → %d (×%.2f), peak RSS %s → %s → %s (×%.2f)",
				packets["flood-25.pcap"], packets["flood-50.pcap"], packets[f], p,
				open_["flood-25.pcap"], open_["flood-50.pcap"], open_[f], a,
				mb(R[H, "flood-25.pcap"]), mb(R[H, "flood-50.pcap"]), mb(R[H, f]), r),
			"RSS grows faster than the attempts held open")
	}
	for (k = 1; k <= 2; k++) {
		f = k == 1 ? "mixed.pcap.gz" : "mixed.pcap.zst"
		if (has(H, f) && has("decompress", f)) {
			r = W[H, f] / W["decompress", f]
			verdict(r <= 1.3, sprintf("%s within 1.3× of decompressing it: %s (%s vs %s)", f, x(r), wall(W[H, f]), wall(W["decompress", f])),
				sprintf("%.2f× too slow: halfopen must take ≤ %s", r / 1.3, wall(1.3 * W["decompress", f])))
		}
	}
	if (has(H, "mixed.pcapng") && has(H, "mixed.pcap")) {
		r = W[H, "mixed.pcapng"] / W[H, "mixed.pcap"]
		verdict(r <= 1.2, sprintf("pcapng within 1.2× of pcap: %s (%s vs %s)", x(r), wall(W[H, "mixed.pcapng"]), wall(W[H, "mixed.pcap"])),
			sprintf("%.2f× too slow: must take ≤ %s", r / 1.2, wall(1.2 * W[H, "mixed.pcap"])))
	}
}
