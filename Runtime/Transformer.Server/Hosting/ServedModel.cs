using System.Security.Cryptography;
using System.Text;
using Transformer.Loader.Tokenization;
using Transformer.Serving;
using Transformer.Server.Prompts;
using Transformer.Text;

namespace Transformer.Server.Hosting;

/// <summary>The loaded model as the endpoints see it: its scheduler, tokenizer, id, chat template and limits.</summary>
internal sealed class ServedModel : IDisposable
{
    public ServedModel(LanguageModel language, Scheduler scheduler, string id, IChatPromptRenderer? chat, string? chatMissingReason, string? cacheIdentity = null)
    {
        CacheIdentity = cacheIdentity;
        Language = language;
        Scheduler = scheduler;
        Id = id;
        Chat = chat;
        ChatMissingReason = chatMissingReason ?? "the model has no chat template";
        Created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Fingerprint = FingerprintOf(language, scheduler, id);
        // As TextGenerator does: the model's and the tokenizer's EOS end a generation, and so does a generated
        // BOS, which would start a new document.
        StopTokens = language.Config.EosTokenIds.Concat(language.Tokenizer.EosIds)
            .Concat(language.Tokenizer.BosId is { } bos ? [bos] : [])
            .ToHashSet();
    }

    public LanguageModel Language { get; }
    public Scheduler Scheduler { get; }
    public ITokenizer Tokenizer => Language.Tokenizer;
    public string Id { get; }
    public long Created { get; }

    /// <summary>A stable hash of what decides the outputs: the model's identity, shape, weight format and KV type.</summary>
    public string Fingerprint { get; }

    /// <summary>The hash the response cache keys this model by (<see cref="Caching.ModelIdentity"/>); null when the cache is off.</summary>
    public string? CacheIdentity { get; }

    /// <summary>Renders chat requests, or null when the model has no chat template.</summary>
    public IChatPromptRenderer? Chat { get; }

    /// <summary>Why <see cref="Chat"/> is null.</summary>
    public string ChatMissingReason { get; }

    /// <summary>Token ids that end a generation without being emitted.</summary>
    public IReadOnlySet<int> StopTokens { get; }

    /// <summary>Prompt and generated tokens of one sequence together fit in this many positions.</summary>
    public int ContextLength => Scheduler.ContextLength;

    public int VocabSize => Language.Config.VocabSize;

    private static string FingerprintOf(LanguageModel language, Scheduler scheduler, string id)
    {
        var c = language.Config;
        string identity = string.Join('|', id, Path.GetFileName(language.ModelPath), FileSizes(language.ModelPath), Path.GetFileName(language.TokenizerPath),
            c.Architecture, c.HiddenSize, c.IntermediateSize, c.NumLayers, c.NumHeads, c.NumKvHeads, c.HeadDim, c.VocabSize, c.MaxPositions,
            language.Model.Options.WeightFormat, scheduler.Options.KvType);
        return "fp_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..12];
    }

    private static long FileSizes(string path) =>
        Directory.Exists(path)
            ? new DirectoryInfo(path).EnumerateFiles().Where(f => f.Extension is ".safetensors" or ".bin").Sum(f => f.Length)
            : File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>Stops the scheduler (open requests end as cancelled), then releases the model.</summary>
    public void Dispose()
    {
        Scheduler.Dispose();
        Language.Dispose();
    }
}
