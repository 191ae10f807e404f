"""The grounded LLM review, end to end: the real client (httpx) against a loopback server.

Crafted answers test each way a claim is kept or dropped and each way a call fails; the corpus test
replays recorded reviewer verdicts, turned into the claim schema, as the model's answer.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import CORPUS, ROOT, SEEDS, corpus_index, needs_shared
from expcheck.api import report_for
from expcheck.cli import main
from expcheck.facts import Facts
from expcheck.findings import Confidence, Severity
from expcheck.inputs import Loaded, load
from expcheck.llm.accounting import Price
from expcheck.llm.clauses import REVIEW_CLAUSES, review_clauses
from expcheck.llm.grounding import ground, locate
from expcheck.llm.recorded import claims_from_recorded
from expcheck.llm.review import LlmOptions, add_review
from expcheck.report.schema import Report
from llm_server import FakeLLM, Reply, chat, claims_reply, sequence

# A ready bundle of its own (the example's experiment, tracking its best epoch), so that the crafted
# claims below quote lines that stay where they are when the shipped example changes.
BUNDLE = str(ROOT / "tests" / "fixtures" / "llm_review_bundle.json")
CONTEXT = str(ROOT / "examples" / "ready_context.yaml")
DEFECTIVE = str(ROOT / "examples" / "defective_bundle.json")


def _claim(
    path: str, line: int, quote: str, clause: str = "result-integrity", severity: str = "error", **extra: Any
) -> dict[str, Any]:
    return {
        "path": path,
        "line": line,
        "quote": quote,
        "clause": clause,
        "severity": severity,
        "message": extra.get("message", "the test split picks the reported best score"),
        "fix": extra.get("fix", ""),
    }


# The ready example's train.py: line 57 scores the test split every epoch, line 58 keeps the best of them.
CRAFTED = [
    _claim("src/train.py", 58, "best = max(best, acc)"),  # kept: exact
    _claim(
        "src/train.py",
        55,
        'acc = accuracy(model, test_loader, run.evaluation.get("max_samples"))',
        clause="experimental-design",
        severity="warning",
    ),  # kept: 2 lines off, inside the window
    _claim(
        "train.py", 61, 'wandb.summary[ "best_test_accuracy" ]\n   =   best'
    ),  # ungrounded: spaces inside the brackets are not in the code
    _claim(
        "train.py", 61, 'wandb.summary["best_test_accuracy"]     =\n best'
    ),  # kept: base name, whitespace normalised
    _claim("src/train.py", 44, "model = build_model(run.method, 'resnet50', num_classes)"),  # ungrounded: invented
    _claim("src/train.py", 20, "best = max(best, acc)"),  # ungrounded: real code, wrong place
    _claim("src/trainer.py", 3, "best = max(best, acc)"),  # ungrounded: no such file
    _claim(
        "src/evaluate.py", 18, "from scipy import stats", message="src/evaluate.py has a syntax error in its imports"
    ),  # refuted
    _claim(
        "src/train.py",
        44,
        "train_loader, test_loader, num_classes = load_splits(run.dataset, run.training.batch_size)",
        clause="experimental-design",
        message="The run configs are missing, so the runs cannot differ as designed",
    ),  # refuted
    _claim("src/train.py", 58, "best = max(best, acc)", clause="code-style"),  # invalid: clause not asked
    {
        "path": "src/train.py",
        "quote": "best = max(best, acc)",
        "clause": "result-integrity",
        "severity": "error",
        "message": "x",
    },  # invalid: no line
]
EXPECTED = {"claims": 11, "kept": 3, "ungrounded": 4, "refuted": 2, "invalid": 2}


def _loaded(source: str = BUNDLE, context: str | None = CONTEXT) -> Loaded:
    return load(source, context=context)


def _options(server: FakeLLM, tmp_path: Path | None = None, **kw: Any) -> LlmOptions:
    kw.setdefault("backoff", 0.01)
    kw.setdefault("timeout", 10.0)
    return LlmOptions(model="test-model", base_url=server.base_url, cache_dir=tmp_path, **kw)


def _review(loaded: Loaded, options: LlmOptions) -> tuple[Report, Report]:
    static = report_for(loaded, "<test>")
    return static, add_review(static, loaded, options)


def test_crafted_claims_kept_and_dropped_with_the_right_counts() -> None:
    loaded = _loaded()
    with FakeLLM(sequence(claims_reply(CRAFTED, tokens_in=12000, tokens_out=800))).running() as server:
        static, reviewed = _review(loaded, _options(server, prices={"test-model": Price(2.0, 8.0)}))
    section = reviewed.llm_review
    assert section is not None and section.performed and section.error is None
    assert section.counts.model_dump() == EXPECTED
    fates = [c.fate for c in section.claims]
    assert fates == [
        "kept",
        "kept",
        "ungrounded",
        "kept",
        "ungrounded",
        "ungrounded",
        "ungrounded",
        "refuted",
        "refuted",
        "invalid",
        "invalid",
    ]
    assert "parses" in section.claims[7].reason and "supplies run configs" in section.claims[8].reason
    assert section.claims[1].found_line == 57
    # Kept claims are L findings: inferred, evidence = the quote, advisory without --llm-blocking.
    extra = reviewed.findings[len(static.findings) :]
    assert sorted((f.rule, f.path, f.line) for f in extra) == [
        ("L102", "src/train.py", 57),
        ("L103", "src/train.py", 58),
        ("L103", "src/train.py", 61),
    ]
    assert all(f.confidence is Confidence.INFERRED and f.severity is Severity.WARNING for f in extra)
    assert {f.evidence for f in extra} >= {"best = max(best, acc)", 'wandb.summary["best_test_accuracy"] = best'}
    assert reviewed.verdict == static.verdict and static.verdict is not None and static.verdict.is_code_ready
    # Accounting: tokens from the endpoint's usage, cost from the price table.
    assert section.usage.tokens_in == 12000 and section.usage.tokens_out == 800 and section.usage.attempts == 1
    assert section.usage.cost_usd == pytest.approx((12000 * 2.0 + 800 * 8.0) / 1e6)


def test_the_request_carries_our_prompt_the_code_and_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_LLM_KEY", "sekrit")
    loaded = _loaded()
    with FakeLLM(sequence(claims_reply([]))).running() as server:
        _review(loaded, _options(server, api_key_env="TEST_LLM_KEY"))
    (seen,) = server.seen
    assert seen.path == "/v1/chat/completions" and seen.headers["authorization"] == "Bearer sekrit"
    body = seen.body
    assert body["model"] == "test-model" and body["temperature"] == 0
    schema = body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["claims"]["items"]["properties"]["clause"]["enum"] == [
        c.id for c in review_clauses(loaded.profile)
    ]
    assert "58| " in seen.prompt and "best = max(best, acc)" in seen.prompt  # numbered code
    assert "Input dropout regularises a small MLP" in seen.prompt  # research context
    assert "method-fidelity" in seen.prompt and "established" in seen.prompt


def test_blocking_makes_kept_errors_block_and_never_unblocks() -> None:
    loaded = _loaded()
    with FakeLLM(sequence(claims_reply(CRAFTED[:1]))).running() as server:
        static, reviewed = _review(loaded, _options(server, blocking=True))
    assert static.ready and not reviewed.ready
    assert reviewed.verdict is not None and "[L103]" in reviewed.verdict.code_issue
    # A submission with deterministic errors stays not ready whatever the model says (here: nothing).
    defective = _loaded(DEFECTIVE, None)
    with FakeLLM(sequence(claims_reply([]))).running() as server:
        static, reviewed = _review(defective, _options(server, blocking=True))
    assert not static.ready and reviewed.verdict == static.verdict
    assert reviewed.llm_review is not None and reviewed.llm_review.counts.claims == 0


@pytest.mark.parametrize(
    ("replies", "retries", "error"),
    [
        ((chat("this is not json {"),), 3, "not JSON"),
        ((chat('{"verdict": "fine"}'),), 3, 'not an object {"claims"'),
        ((Reply(status=429, body={"error": "rate"}, headers={"Retry-After": "0"}),), 2, "gave up after 3 attempts"),
        ((Reply(status=400, body={"error": "bad schema"}),), 3, "HTTP 400"),
        ((Reply(status=200, body={"choices": []}),), 3, "no choices"),
    ],
    ids=["malformed-json", "wrong-object", "429-forever", "400", "no-choices"],
)
def test_failed_reviews_leave_the_static_verdict(replies: tuple[Reply, ...], retries: int, error: str) -> None:
    loaded = _loaded()
    with FakeLLM(sequence(*replies)).running() as server:
        static, reviewed = _review(loaded, _options(server, retries=retries))
    section = reviewed.llm_review
    assert section is not None and not section.performed and error in (section.error or "")
    assert section.counts.claims == 0 and reviewed.findings == static.findings and reviewed.verdict == static.verdict
    if "429" in error:
        assert len(server.seen) == retries + 1


def test_retries_with_backoff_on_429_and_5xx_then_reviews() -> None:
    loaded = _loaded()
    replies = (Reply(status=429, headers={"Retry-After": "0"}), Reply(status=503), claims_reply(CRAFTED))
    with FakeLLM(sequence(*replies)).running() as server:
        _, reviewed = _review(loaded, _options(server))
    section = reviewed.llm_review
    assert section is not None and section.performed and section.usage.attempts == 3
    assert section.counts.model_dump() == EXPECTED


def test_a_server_without_json_schema_gets_json_mode() -> None:
    def respond(body: dict[str, Any]) -> Reply:
        if body["response_format"]["type"] == "json_schema":
            return Reply(status=400, body={"error": "response_format json_schema is not supported"})
        return claims_reply(CRAFTED)

    with FakeLLM(respond).running() as server:
        _, reviewed = _review(_loaded(), _options(server, retries=0))
    section = reviewed.llm_review
    assert section is not None and section.performed and section.counts.model_dump() == EXPECTED
    assert section.usage.attempts == 2 and any("json_object" in n for n in section.notes)


def test_a_user_profile_brings_its_own_review_clauses(tmp_path: Path) -> None:
    from expcheck.profiles import load_profile

    base = load_profile("airas-v2").model_dump(mode="json", exclude_none=True)
    base["name"] = "mine"
    base["review"] = [
        {"id": "seeds", "rule": "L901", "criterion": "C7", "title": "Runs share one seed", "asks": "Check the seeds."}
    ]
    profile = tmp_path / "mine.yaml"
    profile.write_text(json.dumps(base))
    loaded = load(BUNDLE, profile=str(profile), context=CONTEXT)
    claims = [_claim("src/train.py", 58, "best = max(best, acc)", clause="seeds"), CRAFTED[0]]
    with FakeLLM(sequence(claims_reply(claims))).running() as server:
        _, reviewed = _review(loaded, _options(server))
    (seen,) = server.seen
    assert "seeds: Runs share one seed. Check the seeds." in seen.prompt and "method-fidelity" not in seen.prompt
    section = reviewed.llm_review
    assert section is not None and [c.fate for c in section.claims] == ["kept", "invalid"]
    assert [f.rule for f in reviewed.findings if f.rule.startswith("L")] == ["L901"]


def test_timeout_per_input() -> None:
    loaded = _loaded()
    with FakeLLM(sequence(Reply(delay=3.0, body={}))).running() as server:
        start = time.monotonic()
        _, reviewed = _review(loaded, _options(server, timeout=0.5))
        elapsed = time.monotonic() - start
    section = reviewed.llm_review
    assert section is not None and not section.performed and "0.5 s limit" in (section.error or "")
    assert elapsed < 2.5


def test_unreachable_endpoint_is_a_review_that_did_not_happen() -> None:
    server = FakeLLM(sequence(claims_reply([])))  # never started: its port refuses connections
    options = LlmOptions(model="m", base_url=server.base_url, retries=1, backoff=0.01, timeout=5)
    server._httpd.server_close()
    _, reviewed = _review(_loaded(), options)
    assert reviewed.llm_review is not None and not reviewed.llm_review.performed
    assert "cannot reach" in (reviewed.llm_review.error or "")


def test_cache_by_content_hash(tmp_path: Path) -> None:
    loaded = _loaded()
    with FakeLLM(sequence(claims_reply(CRAFTED))).running() as server:
        _, first = _review(loaded, _options(server, tmp_path, prices={"*": Price(1.0, 1.0)}))
        _, second = _review(loaded, _options(server, tmp_path, prices={"*": Price(1.0, 1.0)}))
        assert len(server.seen) == 1
        _review(loaded, LlmOptions(model="other-model", base_url=server.base_url, cache_dir=tmp_path))
        assert len(server.seen) == 2  # another model is another request
    assert first.llm_review is not None and second.llm_review is not None
    assert not first.llm_review.cached and second.llm_review.cached and second.llm_review.usage.cost_usd == 0
    assert second.llm_review.counts == first.llm_review.counts and second.findings == first.findings
    assert list(tmp_path.rglob("*.json"))


def test_failed_answers_are_not_cached(tmp_path: Path) -> None:
    loaded = _loaded()
    with FakeLLM(sequence(chat("not json"), claims_reply([]))).running() as server:
        _, first = _review(loaded, _options(server, tmp_path))
        _, second = _review(loaded, _options(server, tmp_path))
    assert first.llm_review is not None and not first.llm_review.performed
    assert second.llm_review is not None and second.llm_review.performed and not second.llm_review.cached


def test_locate_window_and_normalisation() -> None:
    lines = ["def f(x):", "    total  =  x + 1", "    return total", "", "", "", "", "zeta = f(2)"]
    assert locate(lines, 2, "total = x + 1") == 2
    assert locate(lines, 2, "2|     total  =  x + 1") == 2  # a line-number prefix copied from the prompt
    assert locate(lines, 1, "total = x + 1\n return total") == 2  # multi-line, one line off
    assert locate(lines, 5, "zeta = f(2)", window=3) == 8
    assert locate(lines, 4, "zeta = f(2)", window=3) is None  # 4 lines off: outside the window
    assert locate(lines, 2, "x + 1") is None  # too short to ground
    assert locate(lines, 3, "return total = x") is None  # pieces of two lines in the wrong order


def test_cli_check_with_llm_json_and_review_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeLLM(sequence(claims_reply(CRAFTED))).running() as server:
        code = main(
            [
                "check",
                BUNDLE,
                "--context",
                CONTEXT,
                "--llm",
                "test-model",
                "--llm-base-url",
                server.base_url,
                "--llm-cache-dir",
                str(tmp_path),
                "--format",
                "json",
            ]
        )
    out, err = capsys.readouterr()
    assert code == 0
    report = json.loads(out)["reports"][0]
    assert report["llm_review"]["counts"] == EXPECTED and report["verdict"]["is_code_ready"] is True
    assert "3 kept" in err
    # Several inputs are reviewed side by side (--jobs), each with its own section, in input order.
    with FakeLLM(sequence(claims_reply(CRAFTED))).running() as server:
        code = main(
            [
                "check",
                BUNDLE,
                DEFECTIVE,
                "--context",
                CONTEXT,
                "--jobs",
                "2",
                "--llm",
                "test-model",
                "--llm-base-url",
                server.base_url,
                "--no-llm-cache",
                "--format",
                "jsonl",
            ]
        )
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and [r["input"] for r in lines] == [BUNDLE, DEFECTIVE] and len(server.seen) == 2
    assert lines[0]["llm_review"]["counts"] == EXPECTED and lines[1]["llm_review"]["performed"] is True
    # The endpoint fails: the static verdict and exit status stand, stderr says the review did not happen.
    with FakeLLM(sequence(Reply(status=500))).running() as server:
        code = main(
            [
                "review",
                BUNDLE,
                "--context",
                CONTEXT,
                "--llm",
                "test-model",
                "--llm-base-url",
                server.base_url,
                "--no-llm-cache",
                "--llm-retries",
                "0",
                "--format",
                "verdict",
            ]
        )
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out)["is_code_ready"] is True
    assert "did not happen" in err


def test_cli_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text("test-model: {input: cheap}\n")
    assert main(["check", BUNDLE, "--llm", "m", "--llm-prices", str(prices)]) == 2
    assert main(["check", BUNDLE, "--llm", "m", "--llm-base-url", "ftp://x"]) == 2
    assert main(["check", BUNDLE, "--llm-blocking"]) == 2  # an LLM option without --llm
    with pytest.raises(SystemExit) as exit_:
        main(["review", BUNDLE])  # --llm is required
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--llm-prices" in err


# --- Recorded reviewer verdicts from the corpus, replayed as the model's answer ---------------------


def _distinctive_line(loaded: Loaded) -> str:
    text = max((f for f in loaded.submission.files.values() if f.origin == "code"), key=lambda f: len(f.text)).text
    return max(text.splitlines(), key=len).strip()


@needs_shared
def test_corpus_recorded_outputs_replayed_through_the_client() -> None:
    entries = [e for e in corpus_index() if e.get("llm_is_code_ready") is False]
    chosen: list[tuple[Loaded, list[dict[str, Any]]]] = []
    quoting = other = 0
    for entry in entries:  # traces whose recorded claims quote code that is in the file, and others
        loaded = load(str(CORPUS / entry["trace"]))
        items = claims_from_recorded(loaded.submission)
        files = loaded.submission.files
        real = any(
            i["quote"] and " ".join(i["quote"].split()) in " ".join(files[i["path"]].text.split())
            for i in items
            if i["path"]
        )
        if real and quoting < 4:
            quoting += 1
            chosen.append((loaded, items))
        elif items and not real and other < 3:
            other += 1
            chosen.append((loaded, items))
        if quoting == 4 and other == 3:
            break
    seed = load(str(SEEDS / "000_881bcf544f0ec272.txt"))
    chosen.append((seed, claims_from_recorded(seed.submission)))
    answers = {_distinctive_line(loaded): items for loaded, items in chosen}

    def respond(body: dict[str, Any]) -> Reply:
        prompt = "\n".join(m["content"] for m in body["messages"])
        hits = [items for line, items in answers.items() if line in prompt]
        return claims_reply(hits[0]) if len(hits) == 1 else Reply(status=400, body={"error": "unknown code"})

    totals = {"claims": 0, "kept": 0, "ungrounded": 0, "refuted": 0, "invalid": 0}
    with FakeLLM(respond).running() as server:
        for loaded, items in chosen:
            _, reviewed = _review(loaded, LlmOptions(model="replay", base_url=server.base_url, backoff=0.01))
            section = reviewed.llm_review
            assert section is not None and section.performed, section
            # The same claims grounded directly give the same counts: the transport loses nothing.
            direct = ground(Facts(loaded.submission, loaded.profile), items, review_clauses(loaded.profile))
            assert section.counts == direct.counts()
            for outcome in section.claims:  # a kept claim's quote is really at the line it is kept on
                if outcome.fate == "kept":
                    assert outcome.found_line is not None
                    window = loaded.submission.files[outcome.path].lines[
                        outcome.found_line - 1 : outcome.found_line + 5
                    ]
                    assert " ".join(outcome.quote.split())[:20] in " ".join(" ".join(window).split())
            for key in totals:
                totals[key] += getattr(section.counts, key)
    assert totals["claims"] == sum(len(items) for _, items in chosen)
    assert totals["ungrounded"] > 0 and totals["kept"] > 0
    # The seed's reviewer claimed a syntax error in an evaluate.py that parses: refuted.
    seed_claims = ground(Facts(seed.submission, seed.profile), claims_from_recorded(seed.submission), REVIEW_CLAUSES)
    assert any(o.fate == "refuted" and "parses" in o.reason for o in seed_claims.outcomes)


def test_the_static_check_never_imports_the_http_client() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from expcheck.api import check; check(sys.argv[1]); "
        "print('httpx' in sys.modules, 'expcheck.llm.client' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, BUNDLE], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_without_httpx_the_review_does_not_happen(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "httpx", None)  # import httpx now raises ImportError
    _, reviewed = _review(_loaded(), LlmOptions(model="m", base_url="http://127.0.0.1:9/v1"))
    assert reviewed.llm_review is not None and not reviewed.llm_review.performed
    assert "expcheck[llm]" in (reviewed.llm_review.error or "")
