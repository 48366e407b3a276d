using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Transformer.Server.Generation;

namespace Transformer.Server.Caching;

/// <summary>
/// The cache key of a request, or null when its result is not determined by its inputs. Only requests at
/// temperature 0 or with a seed are cached: with batch-invariant kernels their tokens are exactly what the
/// engine would compute again. The key hashes the model's identity, every choice's prompt token ids and every
/// setting that changes what is generated or reported (max tokens, all sampling fields, the seed of each
/// choice, stop tokens and strings, log-probabilities); streaming does not change the result and is left out,
/// so a streamed and a whole request share an entry.
/// </summary>
internal static class ResponseCacheKey
{
    /// <summary>Bumped when the cached form or what the key covers changes, so old entries are never read.</summary>
    private const string Version = "transformer-response-v1";

    public static string? For(string modelIdentity, IReadOnlyList<ChoiceRequest> choices, GenerationSettings settings)
    {
        if (!IsDeterministic(settings)) return null;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Write(hash, Version);
        Write(hash, modelIdentity);
        Write(hash, choices.Count);
        foreach (var choice in choices)
        {
            var r = choice.Request;
            var s = r.Sampling;
            Write(hash, choice.PromptIndex);
            Write(hash, r.Prompt.Count);
            foreach (int token in r.Prompt) Write(hash, token);
            Write(hash, r.MaxTokens);
            Write(hash, s.Temperature);
            Write(hash, s.TopK);
            Write(hash, s.TopP);
            Write(hash, s.MinP);
            Write(hash, s.RepetitionPenalty);
            Write(hash, s.FrequencyPenalty);
            Write(hash, s.PresencePenalty);
            Write(hash, s.Seed is { } seed ? 1 : 0);
            Write(hash, s.Seed ?? 0);
            Write(hash, r.TopLogprobs ?? -1);
            var stopTokens = r.StopTokens.Order().ToList();
            Write(hash, stopTokens.Count);
            foreach (int token in stopTokens) Write(hash, token);
            Write(hash, choice.StopStrings.Count);
            foreach (string stop in choice.StopStrings) Write(hash, stop);
        }
        return "response:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Greedy, or seeded: the same inputs give the same tokens.</summary>
    public static bool IsDeterministic(GenerationSettings settings) => settings.Sampling.Temperature == 0 || settings.Sampling.Seed is not null;

    private static void Write(IncrementalHash hash, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        hash.AppendData(bytes);
    }

    private static void Write(IncrementalHash hash, float value) => Write(hash, BitConverter.SingleToInt32Bits(value));

    private static void Write(IncrementalHash hash, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        Write(hash, bytes.Length);
        hash.AppendData(bytes);
    }
}
