using System.Security.Cryptography;
using System.Text;
using Transformer.Kernels.Cpu;
using Transformer.Serving;
using Transformer.Text;

namespace Transformer.Server.Caching;

/// <summary>
/// What makes two servers compute the same tokens and text for the same prompt tokens: a hash of the weights'
/// and config's bytes, the tokenizer's bytes (it turns tokens into text), the weight format, the KV type and
/// the kernel path (SIMD paths sum floats in different orders, so they may differ in the last bit). Thread
/// counts are left out: results do not depend on them. A response cached under one identity is never served
/// by a server with another.
/// </summary>
internal static class ModelIdentity
{
    private static readonly string[] WeightExtensions = [".safetensors", ".bin", ".json"];

    /// <exception cref="InvalidOperationException">The model was built from parts without a content identity: nothing identifies it.</exception>
    public static string Compute(LanguageModel language, ServingOptions serving)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (language.ContentIdentity is { } given) hash.AppendData(Encoding.UTF8.GetBytes($"parts\n{given}\n"));
        else if (File.Exists(language.ModelPath) || Directory.Exists(language.ModelPath)) AppendFiles(hash, ModelFiles(language.ModelPath).Append(language.TokenizerPath));
        else throw new InvalidOperationException($"the response cache cannot identify model '{language.ModelPath}': it was built from parts without a content identity (LanguageModel.FromParts's contentIdentity), and has no files to hash");
        string kernels = language.Backend is CpuBackend cpu ? $"cpu {cpu.Isa}" : language.Backend.GetType().FullName!;
        hash.AppendData(Encoding.UTF8.GetBytes($"{language.Model.Options.WeightFormat}|{serving.KvType}|{kernels}"));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void AppendFiles(IncrementalHash hash, IEnumerable<string> files)
    {
        var buffer = new byte[1 << 20];
        foreach (string file in files)
        {
            // The name as well as the bytes: two files whose contents concatenate alike stay apart.
            hash.AppendData(Encoding.UTF8.GetBytes($"{Path.GetFileName(file)}\n{new FileInfo(file).Length}\n"));
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            int read;
            while ((read = stream.Read(buffer)) > 0) hash.AppendData(buffer, 0, read);
        }
    }

    /// <summary>A folder's weights and JSON (config, shard index); a file and the config.json beside it.</summary>
    private static IEnumerable<string> ModelFiles(string modelPath)
    {
        if (Directory.Exists(modelPath))
        {
            return Directory.EnumerateFiles(modelPath)
                .Where(f => WeightExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal);
        }
        string config = Path.Combine(Path.GetDirectoryName(modelPath) ?? ".", "config.json");
        return File.Exists(config) ? [modelPath, config] : [modelPath];
    }
}
