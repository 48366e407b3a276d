using System.CommandLine;
using Transformer.Cli.Bench;
using Transformer.Cli.Devices;
using Transformer.Kernels.Backend;
using Transformer.ResponseCache;
using Transformer.Runtime;
using Transformer.Server;
using Transformer.Serving;
using Transformer.Text;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer serve</c>: an OpenAI-compatible HTTP server for one model (chat and text completions,
/// streaming, /v1/models, /tokenize, /detokenize, /health, /metrics), with continuous batching over a paged,
/// prefix-cached KV pool. It listens at once and loads the model in the background; Ctrl+C stops it.
/// </summary>
public static class ServeCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var defaults = new ServingOptions();
        var model = CommonOptions.Model(required: true, "Model folder or file (safetensors folder, *.safetensors, llama2.c *.bin)");
        var host = new Option<string>("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1", HelpName = "ADDRESS" };
        var port = new Option<int>("--port") { Description = "Port to listen on (0 picks a free one)", DefaultValueFactory = _ => 8080, HelpName = "PORT" };
        var apiKey = new Option<string>("--api-key") { Description = "Require 'Authorization: Bearer KEY' on /v1, /tokenize and /detokenize", HelpName = "KEY" };
        var modelId = new Option<string>("--model-id") { Description = "The model's id in the API; default: the model folder's name, or the file's name without its extension", HelpName = "ID" };
        var maxSequences = new Option<int>("--max-sequences") { Description = "Most sequences decoded together", DefaultValueFactory = _ => defaults.MaxSequences, HelpName = "N" };
        var queue = new Option<int>("--queue") { Description = "Most requests waiting for a place; beyond it requests get 429", DefaultValueFactory = _ => defaults.QueueLimit, HelpName = "N" };
        var kvMemory = new Option<long?>("--kv-memory")
        {
            Description = "Memory for the KV pool, e.g. 512MiB, 2GiB, 1.5GB; default: a quarter of the available memory, at most what --max-sequences full contexts need",
            HelpName = "SIZE",
            CustomParser = result =>
            {
                string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (ByteSize.TryParse(text, out long bytes, out string? error)) return bytes;
                result.AddError($"--kv-memory {error}");
                return null;
            },
        };
        var kvType = new Option<string>("--kv-type") { Description = "How keys and values are stored: f32 or f16", DefaultValueFactory = _ => "f32", HelpName = "TYPE" };
        kvType.AcceptOnlyFromAmong("f32", "f16");
        var stepTokens = new Option<int>("--step-tokens") { Description = "Most tokens in one model step (decode tokens first, prompt chunks fill the rest)", DefaultValueFactory = _ => defaults.StepTokenBudget, HelpName = "N" };
        var chatTemplate = new Option<string>("--chat-template") { Description = "Jinja chat template file to use instead of the model's own", HelpName = "FILE" };
        var noPrefixCache = new Option<bool>("--no-prefix-cache") { Description = "Do not share KV blocks between requests with the same prompt prefix" };
        var responseCache = ResponseCacheOption();
        var responseCacheTtl = ResponseCacheTtlOption();
        var precache = new Option<string>("--precache") { Description = "A JSONL file of deterministic OpenAI requests (one per line) whose responses are computed into the response cache at start-up", HelpName = "FILE" };
        var tokenizer = CommonOptions.Tokenizer();
        var threads = CommonOptions.Threads();
        var quant = KernelOptions.Quant();
        var isa = KernelOptions.Isa(allowAll: false);
        var device = DeviceOption.Create(allowList: false, DeviceOption.Auto);

        Require(port, p => p is >= 0 and <= 65535, "--port must be in [0, 65535]");
        Require(maxSequences, n => n >= 1, "--max-sequences must be at least 1");
        Require(queue, n => n >= 0, "--queue must be ≥ 0");
        Require(stepTokens, n => n >= 1, "--step-tokens must be at least 1");

        var command = new Command("serve", "Serve a model over an OpenAI-compatible HTTP API (chat and text completions, streaming, metrics)")
        {
            model, host, port, apiKey, modelId, maxSequences, queue, kvMemory, kvType, stepTokens, chatTemplate, noPrefixCache, responseCache, responseCacheTtl, precache,
            tokenizer, threads, quant, isa, device,
        };
        CommandAction.Set(command, context, async (parsed, cancellation) =>
        {
            string modelPath = parsed.GetValue(model)!;
            if (!File.Exists(modelPath) && !Directory.Exists(modelPath)) throw new FileNotFoundException($"{modelPath}: no such model file or folder");
            if (parsed.GetValue(chatTemplate) is { } template && !File.Exists(template)) throw new FileNotFoundException($"{template}: no such chat template file");
            string? precacheFile = parsed.GetValue(precache);
            if (precacheFile is not null && parsed.GetValue(responseCache) is null) throw new ArgumentException("--precache needs --response-cache memory|redis://HOST:PORT");
            if (precacheFile is not null && !File.Exists(precacheFile)) throw new FileNotFoundException($"{precacheFile}: no such requests file");

            using var selection = BackendSelection.Create(parsed.GetValue(device)!, parsed.GetValue(isa), parsed.GetValue(threads));
            var modelOptions = new LanguageModelOptions
            {
                TokenizerPath = parsed.GetValue(tokenizer),
                Backend = selection.Backend,
                Model = new ModelOptions { WeightFormat = KernelOptions.Format(parsed.GetValue(quant)!) },
            };
            var options = new ServerOptions
            {
                ModelPath = modelPath,
                ModelId = parsed.GetValue(modelId),
                Host = parsed.GetValue(host)!,
                Port = parsed.GetValue(port),
                ApiKey = parsed.GetValue(apiKey),
                ChatTemplatePath = parsed.GetValue(chatTemplate),
                ResponseCache = CacheOptions(parsed.GetValue(responseCache), parsed.GetValue(responseCacheTtl)),
                Model = modelOptions,
                Serving = new ServingOptions
                {
                    MaxSequences = parsed.GetValue(maxSequences),
                    QueueLimit = parsed.GetValue(queue),
                    StepTokenBudget = parsed.GetValue(stepTokens),
                    KvMemoryBytes = parsed.GetValue(kvMemory),
                    KvType = parsed.GetValue(kvType) == "f16" ? KvDType.F16 : KvDType.F32,
                    PrefixCaching = !parsed.GetValue(noPrefixCache),
                },
            };

            await using var server = InferenceServer.Create(options);
            await server.StartAsync(cancellation).ConfigureAwait(false);
            context.Error.WriteLine($"listening on {server.BaseAddress} ({options.ResolvedModelId} loading; /health answers 503 until it serves)");
            try
            {
                await server.ModelLoaded.WaitAsync(cancellation).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellation.IsCancellationRequested)
            {
                await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
                throw;
            }
            var serving = options.Serving;
            context.Error.WriteLine($"serving {options.ResolvedModelId} at {server.BaseAddress}v1 (device: {selection.Backend.Description}; " +
                $"{serving.MaxSequences} sequences, queue {serving.QueueLimit}, KV {serving.KvType}{(serving.PrefixCaching ? ", prefix cache" : "")}" +
                $"{(options.ChatTemplatePath is null ? "" : $", chat template {options.ChatTemplatePath}")}" +
                $"{(options.ResponseCache is { } cache ? $", response cache {(cache.Redis is { } redis ? $"memory + redis {redis}" : "memory")} for {cache.TimeToLive}" : "")}); Ctrl+C stops");
            if (precacheFile is not null)
            {
                var report = await server.PrecacheAsync(precacheFile, new PrecacheProgressPrinter(context.Error), cancellation).ConfigureAwait(false);
                PrecacheProgressPrinter.Summarize(context.Error, report);
            }
            await server.WaitForShutdownAsync(cancellation).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary><c>--response-cache memory|redis://HOST:PORT</c>, checked when parsed.</summary>
    internal static Option<string> ResponseCacheOption()
    {
        var option = new Option<string>("--response-cache")
        {
            Description = "Cache responses of deterministic requests (temperature 0 or a seed): 'memory' (this process) or redis://HOST:PORT (in memory and shared through Redis)",
            HelpName = "memory|redis://HOST:PORT",
        };
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count != 1) return;
            try { ResponseCacheOptions.Parse(result.Tokens[0].Value); }
            catch (FormatException e) { result.AddError($"--response-cache: {e.Message}"); }
        });
        return option;
    }

    /// <summary><c>--response-cache-ttl DURATION</c>.</summary>
    internal static Option<TimeSpan?> ResponseCacheTtlOption() => new("--response-cache-ttl")
    {
        Description = "How long a cached response is kept, e.g. 90s, 30m, 12h, 7d (default 1h)",
        HelpName = "DURATION",
        CustomParser = result =>
        {
            string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (Duration.TryParse(text, out var duration, out string? error)) return duration;
            result.AddError($"--response-cache-ttl {error}");
            return null;
        },
    };

    /// <summary>The cache settings, or null (off) when --response-cache was not given.</summary>
    internal static ResponseCacheOptions? CacheOptions(string? spec, TimeSpan? ttl)
    {
        if (spec is null)
        {
            if (ttl is not null) throw new ArgumentException("--response-cache-ttl needs --response-cache memory|redis://HOST:PORT");
            return null;
        }
        return ResponseCacheOptions.Parse(spec, ttl);
    }

    private static void Require<T>(Option<T> option, Func<T, bool> isValid, string message) =>
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && TryGet(result, out T value) && !isValid(value)) result.AddError(message);
        });

    private static bool TryGet<T>(System.CommandLine.Parsing.OptionResult result, out T value)
    {
        try
        {
            value = result.GetValueOrDefault<T>()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }
}
