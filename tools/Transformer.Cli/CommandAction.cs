using System.CommandLine;

namespace Transformer.Cli;

/// <summary>Wraps a command's body so that any failure becomes one <c>error: </c> line and a non-zero exit code.</summary>
public static class CommandAction
{
    /// <summary>Sets <paramref name="body"/> as the command's action, reporting exceptions through <see cref="CliErrors"/>.</summary>
    public static void Set(Command command, CliContext context, Func<ParseResult, CancellationToken, Task<int>> body)
    {
        command.SetAction(async (parsed, cancellation) =>
        {
            try
            {
                return await body(parsed, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                context.Error.WriteLine("error: cancelled");
                return CliErrors.Failure;
            }
            catch (Exception e)
            {
                return CliErrors.Report(context.Error, e, parsed.GetValue(CommonOptions.Verbose));
            }
        });
    }
}
