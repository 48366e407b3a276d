using System.Text.Json;
using Transformer.Runtime.Pruning;

namespace Transformer.Cli.Pruning;

/// <summary>Reads the statistics JSON that <c>transformer importance</c> writes (for <c>prune --stats</c> and <c>student init --importance</c>).</summary>
public static class StatisticsFile
{
    /// <summary>The statistics in <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is not such statistics.</exception>
    public static ImportanceStatistics Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such statistics file", path);
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), ImportanceJson.Default.ImportanceStatistics)
                ?? throw new InvalidDataException($"{path}: empty statistics file");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a statistics file from `transformer importance`: {e.Message}", e);
        }
    }
}
