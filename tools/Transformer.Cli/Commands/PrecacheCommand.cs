using System.CommandLine;
using Transformer.Cli.Bench;
using Transformer.Cli.Devices;
using Transformer.Kernels.Backend;
using Transformer.Runtime;
using Transformer.Server;
using Transformer.Serving;
using Transformer.Text;

namespace Transformer.Cli.Commands;

/// <summary>
/// <c>transformer precache</c>: computes the responses of a JSONL file of requests into a fleet's shared response
/// cache (Redis) offline, with an in-process server on a loopback port. The model, weight format, KV type and
/// CPU kernel path are part of every cache key, so they must be the fleet's for its replicas to find the entries.
/// </summary>
public static class PrecacheCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model(required: true, "Model folder or file, as the replicas serve it");
        var requests = new Option<string>("--requests") { Description = "JSONL file: one OpenAI request (body, or Batch API line) per line; each must be deterministic (temperature 0 or a seed)", HelpName = "FILE", Required = true };
        var responseCache = ServeCommand.ResponseCacheOption();
        responseCache.Required = true;
        var responseCacheTtl = ServeCommand.ResponseCacheTtlOption();
        var chatTemplate = new Option<string>("--chat-template") { Description = "Jinja chat template file, as the replicas use it", HelpName = "FILE" };
        var kvType = new Option<string>("--kv-type") { Description = "KV storage as the replicas use it: f32 or f16", DefaultValueFactory = _ => "f32", HelpName = "TYPE" };
        kvType.AcceptOnlyFromAmong("f32", "f16");
        var tokenizer = CommonOptions.Tokenizer();
        var threads = CommonOptions.Threads();
        var quant = KernelOptions.Quant();
        var isa = KernelOptions.Isa(allowAll: false);
        var device = DeviceOption.Create(allowList: false, DeviceOption.Auto);

        var command = new Command("precache", "Compute the responses of a file of requests into a fleet's shared response cache (Redis)")
        {
            model, requests, responseCache, responseCacheTtl, chatTemplate, kvType, tokenizer, threads, quant, isa, device,
        };
        CommandAction.Set(command, context, async (parsed, cancellation) =>
        {
            string modelPath = parsed.GetValue(model)!;
            if (!File.Exists(modelPath) && !Directory.Exists(modelPath)) throw new FileNotFoundException($"{modelPath}: no such model file or folder");
            string requestsPath = parsed.GetValue(requests)!;
            if (!File.Exists(requestsPath)) throw new FileNotFoundException($"{requestsPath}: no such requests file");
            if (parsed.GetValue(chatTemplate) is { } template && !File.Exists(template)) throw new FileNotFoundException($"{template}: no such chat template file");
            var cache = ServeCommand.CacheOptions(parsed.GetValue(responseCache), parsed.GetValue(responseCacheTtl))!;
            if (cache.Redis is null)
                throw new ArgumentException("precache fills a shared cache: give --response-cache redis://HOST:PORT (a memory cache would end with this command)");

            using var selection = BackendSelection.Create(parsed.GetValue(device)!, parsed.GetValue(isa), parsed.GetValue(threads));
            var options = new ServerOptions
            {
                ModelPath = modelPath,
                Host = "127.0.0.1",
                Port = 0,
                ChatTemplatePath = parsed.GetValue(chatTemplate),
                ResponseCache = cache,
                Model = new LanguageModelOptions
                {
                    TokenizerPath = parsed.GetValue(tokenizer),
                    Backend = selection.Backend,
                    Model = new ModelOptions { WeightFormat = KernelOptions.Format(parsed.GetValue(quant)!) },
                },
                Serving = new ServingOptions { KvType = parsed.GetValue(kvType) == "f16" ? KvDType.F16 : KvDType.F32 },
            };
            await using var server = InferenceServer.Create(options);
            await server.StartAsync(cancellation).ConfigureAwait(false);
            var report = await server.PrecacheAsync(requestsPath, new PrecacheProgressPrinter(context.Error), cancellation).ConfigureAwait(false);
            bool clean = PrecacheProgressPrinter.Summarize(context.Error, report);
            var redis = server.ResponseCacheRedis!;
            if (redis.Errors > 0)
                throw new InvalidOperationException($"Redis at {redis.Endpoint} failed {redis.Errors} time(s) during the run: some responses are cached in no shared place; run again once it answers");
            context.Error.WriteLine($"precache: {report.Computed + report.AlreadyCached} of {report.Total} responses in redis {redis.Endpoint} ({report.Computed} computed, {report.AlreadyCached} already there)");
            return clean ? 0 : CliErrors.Failure;
        });
        return command;
    }
}
