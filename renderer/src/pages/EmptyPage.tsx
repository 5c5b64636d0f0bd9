/** A page whose capability has not arrived yet: says what it will hold, never a blank screen. */
export function EmptyPage({
  title,
  headline,
  text,
}: {
  title: string;
  headline: string;
  text: string;
}) {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{title}</h1>
      <div className="empty-state">
        <h2>{headline}</h2>
        <p>{text}</p>
      </div>
    </section>
  );
}
