using System.CommandLine;
using Transformer.Cli.Bench;
using Transformer.Cli.Devices;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Runtime.Synthetic;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer bench</c>: end-to-end prefill and decode speed on deterministic synthetic weights of a
/// preset shape (no download), per CPU path and weight format, with a per-op time breakdown.
/// </summary>
public static class BenchCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var preset = new Option<string>("--preset")
        {
            Description = $"Model shape, on synthetic weights: {string.Join(", ", SyntheticPresets.Names)}",
            HelpName = "NAME",
        };
        preset.AcceptOnlyFromAmong([.. SyntheticPresets.Names]);
        var model = new Option<string?>("--model", "-m")
        {
            Description = "A model file or folder to bench instead of a preset (safetensors, llama2.c, GGUF: a Q8_0/Q4_0 GGUF runs its own blocks whatever --quant says)",
            HelpName = "PATH",
        };
        var threads = CommonOptions.Threads();
        var quant = BenchWeights.Option();
        var isa = KernelOptions.Isa(allowAll: true);
        var promptTokens = NumberOptions.Int("--prompt-tokens", [], "Prompt length of the prefill measurement", defaultValue: 128, min: 1);
        var genTokens = NumberOptions.Int("--gen-tokens", [], "Tokens decoded one at a time", defaultValue: 128, min: 1);
        var reps = NumberOptions.Int("--reps", [], "Timed runs after a warm-up; the best prefill and the best decode are reported", defaultValue: 3, min: 1);
        var device = DeviceOption.Create(allowList: true, DeviceOption.Cpu);
        var json = new Option<bool>("--json") { Description = "Print a JSON array (one object per configuration) instead of the table; with --limits an object {limits, results}" };
        var limits = new Option<bool>("--limits")
        {
            Description = "Also print the machine's limits measured in this run: read bandwidth (1 and N threads), peak f32 FMA and int8 dot throughput per ISA path (every row's % of bound is measured either way); alone, only the limits",
        };
        var concurrency = new Option<string?>("--concurrency")
        {
            Description = "Comma-separated stream counts (e.g. 1,2,4,8,16,32): aggregate decode tok/s, time to first token and inter-token latency through the serving scheduler, per count",
            HelpName = "N[,N...]",
        };
        concurrency.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } text && ParseLevels(text) is null)
                r.AddError($"--concurrency takes comma-separated counts from 1 to 1024, got '{(text.Length > 40 ? text[..40] + "..." : text)}'");
        });
        var blockSize = NumberOptions.Int("--kv-block-size", [], "Positions per KV block for --concurrency", defaultValue: Transformer.Runtime.ModelOptions.DefaultKvBlockSize, min: 1, max: 4096);

        var kvType = new Option<string>("--kv-type") { Description = "How --concurrency stores keys and values: f32 or f16", DefaultValueFactory = _ => "f32", HelpName = "TYPE" };
        kvType.AcceptOnlyFromAmong("f32", "f16");
        var throughServer = new Option<bool>("--through-server")
        {
            Description = "With --concurrency: stream every request through the OpenAI-compatible HTTP server on loopback instead of the scheduler's API",
        };
        throughServer.Validators.Add(r =>
        {
            if (r.GetValue(throughServer) && r.GetValue(concurrency) is null) r.AddError("--through-server needs --concurrency");
        });

        var fleet = NumberOptions.Int("--fleet", [], "Replicas of a fleet on loopback behind the gateway: requests/s, latency, response-cache hits and prefix-cache hit ratio, with prefix affinity and with routing by load alone, cache cold and warm", defaultValue: 0, min: 0, max: 16);
        var users = NumberOptions.Int("--users", [], "With --fleet: users, each with a system prompt of their own", defaultValue: 12, min: 1);
        var turns = NumberOptions.Int("--turns", [], "With --fleet: requests per user (its system prompt and a new question each)", defaultValue: 4, min: 1);
        var clients = NumberOptions.Int("--clients", [], "With --fleet: requests in flight at once", defaultValue: 6, min: 1, max: 1024);
        var systemTokens = NumberOptions.Int("--system-tokens", [], "With --fleet: tokens of each system prompt", defaultValue: 96, min: 1);
        var questionTokens = NumberOptions.Int("--question-tokens", [], "With --fleet: tokens of each question", defaultValue: 16, min: 1);
        var responseCache = ServeCommand.ResponseCacheOption();
        responseCache.DefaultValueFactory = _ => "memory";
        foreach (var fleetOnly in new Option[] { users, turns, clients, systemTokens, questionTokens, responseCache })
            fleetOnly.Validators.Add(r =>
            {
                if (r.GetValue(fleet) == 0 && !r.Implicit) r.AddError($"{r.Option.Name} needs --fleet N");
            });

        var command = new Command("bench", "Measure prefill and decode speed on synthetic weights of a preset shape (or a model file), per CPU path and weight format")
        {
            preset, model, threads, quant, isa, promptTokens, genTokens, reps, json, limits, device, concurrency, blockSize, kvType, throughServer,
            fleet, users, turns, clients, systemTokens, questionTokens, responseCache,
        };
        command.Validators.Add(r =>
        {
            bool hasPreset = r.GetResult(preset) is { Implicit: false }, hasModel = r.GetValue(model) is not null;
            if (hasPreset && hasModel || (!hasPreset && !hasModel && !r.GetValue(limits))) r.AddError("bench needs exactly one of --preset NAME (synthetic weights) and --model PATH (a model file)");
            else if (hasModel && (r.GetValue(concurrency) is not null || r.GetValue(fleet) > 0)) r.AddError("--concurrency and --fleet run on a --preset, not a --model");
        });
        CommandAction.Set(command, context, (parsed, cancellation) =>
        {
            var isas = parsed.GetValue(isa) == KernelOptions.AllIsas
                ? CpuIsaSupport.Supported
                : [KernelOptions.Resolve(parsed.GetValue(isa))];
            var weightSets = BenchWeights.Parse(parsed.GetValue(quant)!);
            bool asJson = parsed.GetValue(json);
            var devices = DeviceOption.Split(parsed.GetValue(device)!);

            if (parsed.GetValue(concurrency) is { } levelsText)
                return Task.FromResult(RunConcurrency(context, parsed.GetValue(preset)!, isas, weightSets, devices, ParseLevels(levelsText)!,
                    parsed.GetValue(threads), parsed.GetValue(promptTokens), parsed.GetValue(genTokens), parsed.GetValue(reps), parsed.GetValue(blockSize),
                    parsed.GetValue(kvType) == "f16" ? KvDType.F16 : KvDType.F32, parsed.GetValue(throughServer), asJson, cancellation));

            if (parsed.GetValue(fleet) is > 0 and int replicas)
            {
                var settings = new BenchSettings(parsed.GetValue(preset)!, isas[0], weightSets[0], parsed.GetValue(threads),
                    parsed.GetValue(promptTokens), parsed.GetValue(genTokens), devices[0], parsed.GetValue(reps));
                var workload = new FleetBench.Workload(replicas, parsed.GetValue(users), parsed.GetValue(turns), parsed.GetValue(clients),
                    parsed.GetValue(systemTokens), parsed.GetValue(questionTokens));
                return RunFleet(context, settings, workload, ResponseCache.ResponseCacheOptions.Parse(parsed.GetValue(responseCache)!), asJson, cancellation);
            }

            bool showLimits = parsed.GetValue(limits);
            int limitThreads = parsed.GetValue(threads) is > 0 and int t ? t : Environment.ProcessorCount;
            bool anyRows = parsed.GetResult(preset) is { Implicit: false } || parsed.GetValue(model) is not null;
            // Measured in this run, before the rows: every row's bounds come from the same machine state.
            var machine = Bench.Limits.MachineLimits.Measure(limitThreads, showLimits ? CpuIsaSupport.Supported : isas);
            if (showLimits)
                foreach (string line in BenchReport.Limits(machine)) (asJson ? context.Error : context.Out).WriteLine(line);
            if (!anyRows)
            {
                if (asJson) context.Out.WriteLine(BenchReport.Json(machine, []));
                return Task.FromResult(0);
            }
            var results = new List<BenchResult>();
            // Devices side by side: every CPU path, then each GPU device once (ISA paths are the CPU's).
            var runs = devices.SelectMany(d => d == DeviceOption.Cpu ? isas.Select(path => (Device: d, Isa: path)) : [(Device: d, Isa: isas[0])]);
            foreach (var weights in weightSets)
            {
                foreach (var (deviceName, path) in runs)
                {
                    cancellation.ThrowIfCancellationRequested();
                    string? modelPath = parsed.GetValue(model);
                    string shape = modelPath is null ? parsed.GetValue(preset)! : Path.GetFileName(Path.TrimEndingDirectorySeparator(modelPath));
                    var result = BenchRunner.Run(new BenchSettings(shape, path, weights, parsed.GetValue(threads),
                        parsed.GetValue(promptTokens), parsed.GetValue(genTokens), deviceName, parsed.GetValue(reps), modelPath));
                    result = Bench.Limits.BenchBounds.With(result, machine);
                    results.Add(result);
                    // Progress goes to stderr with --json so stdout stays one parseable document.
                    var writer = asJson ? context.Error : context.Out;
                    writer.WriteLine(BenchReport.Line(result));
                    foreach (string line in BenchReport.Breakdown(result)) writer.WriteLine(line);
                }
            }
            if (asJson) context.Out.WriteLine(showLimits ? BenchReport.Json(machine, results) : BenchReport.Json(results));
            return Task.FromResult(0);
        });
        return command;
    }

    private static int RunConcurrency(CliContext context, string preset, IReadOnlyList<CpuIsa> isas, IReadOnlyList<BenchWeights> weightSets,
        IReadOnlyList<string> devices, IReadOnlyList<int> levels, int threads, int promptTokens, int genTokens, int reps, int blockSize, KvDType kvType, bool throughServer, bool asJson,
        CancellationToken cancellation)
    {
        var results = new List<ConcurrencyResult>();
        var writer = asJson ? context.Error : context.Out;
        foreach (var weights in weightSets)
            foreach (string device in devices)
                foreach (var path in device == DeviceOption.Cpu ? isas : [isas[0]])
                {
                    var settings = new BenchSettings(preset, path, weights, threads, promptTokens, genTokens, device, reps);
                    foreach (var result in ConcurrencyBench.Run(settings, levels, blockSize, kvType, throughServer, cancellation))
                    {
                        results.Add(result);
                        writer.WriteLine(ConcurrencyBench.Line(result));
                    }
                }
        if (asJson) context.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize<IReadOnlyList<ConcurrencyResult>>(results, BenchJsonContext.Default.IReadOnlyListConcurrencyResult));
        return 0;
    }

    private static async Task<int> RunFleet(CliContext context, BenchSettings settings, FleetBench.Workload workload, ResponseCache.ResponseCacheOptions cache,
        bool asJson, CancellationToken cancellation)
    {
        var results = await FleetBench.RunAsync(settings, workload, cache, asJson ? context.Error : context.Out, cancellation);
        if (asJson) context.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(results, BenchJsonContext.Default.IReadOnlyListFleetResult));
        return 0;
    }

    private static int[]? ParseLevels(string text)
    {
        var levels = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int level) || level is < 1 or > 1024) return null;
            levels.Add(level);
        }
        return levels.Count == 0 ? null : [.. levels];
    }
}
